"""The game port's frame codec against RFC 6455, with wsproto as the other side.

wsproto's client-side ``FrameProtocol`` masks the frames a browser would send and
parses the frames we send; frames no honest client sends are built by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsproto.frame_protocol import FrameProtocol, Opcode

from courtside.protocol.frames import (
    Close,
    Event,
    FrameReader,
    Message,
    Ping,
    Pong,
    ProtocolViolation,
    encode_binary,
    encode_close,
    encode_ping,
    encode_pong,
    encode_text,
    is_valid_close_code,
)

TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0
MASK = b"\x37\xfa\x21\x3d"


def client_frame(
    opcode: int,
    payload: bytes = b"",
    *,
    fin: bool = True,
    rsv: int = 0,
    mask: bytes | None = MASK,
    length_bits: int | None = None,
    declared: int | None = None,
) -> bytes:
    """A client frame built byte by byte, malformed on request.

    ``length_bits`` forces the 7-, 16- or 64-bit length form; ``declared`` puts
    another length in the header than the payload's; ``mask=None`` leaves the
    frame unmasked.
    """
    length = len(payload) if declared is None else declared
    if length_bits is None:
        length_bits = 7 if length < 126 else 16 if length < 0x10000 else 64
    first = (0x80 if fin else 0) | rsv | opcode
    mask_bit = 0 if mask is None else 0x80
    if length_bits == 7:
        header = bytes((first, mask_bit | length))
    elif length_bits == 16:
        header = bytes((first, mask_bit | 126)) + length.to_bytes(2)
    else:
        header = bytes((first, mask_bit | 127)) + length.to_bytes(8)
    if mask is None:
        return header + payload
    return header + mask + bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))


def close_payload(code: int, reason: bytes = b"") -> bytes:
    return code.to_bytes(2) + reason


def read_all(data: bytes, *, max_message_size: int = 4096) -> list[Event]:
    reader = FrameReader(max_message_size=max_message_size)
    reader.feed(data)
    return list(reader)


def violation(data: bytes, *, max_message_size: int = 4096) -> ProtocolViolation:
    with pytest.raises(ProtocolViolation) as raised:
        read_all(data, max_message_size=max_message_size)
    return raised.value


def as_seen_by_a_client(data: bytes) -> list[tuple[Opcode, object, bool]]:
    client = FrameProtocol(client=True, extensions=[])
    client.receive_bytes(data)
    return [(f.opcode, f.payload, f.message_finished) for f in client.received_frames()]


# -- what we send -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "header_size"), [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)]
)
def test_server_frames_take_the_shortest_length_form_and_parse_back(
    size: int, header_size: int
) -> None:
    text = ("é" * size)[: size // 2] + "x" * (size % 2)
    payload = text.encode()
    assert len(payload) == size
    binary = bytes(range(256)) * (size // 256) + bytes(size % 256)

    text_frame, binary_frame = encode_text(payload), encode_binary(binary)

    assert len(text_frame) == len(binary_frame) == header_size + size
    # wsproto refuses a length in a longer form than needed, so this checks it too.
    assert as_seen_by_a_client(text_frame) == [(Opcode.TEXT, text, True)]
    assert as_seen_by_a_client(binary_frame) == [(Opcode.BINARY, binary, True)]


def test_control_frames_parse_back() -> None:
    frames = encode_ping(b"t=1") + encode_pong(b"") + encode_close(4409, "replaced")
    assert as_seen_by_a_client(frames) == [
        (Opcode.PING, b"t=1", True),
        (Opcode.PONG, b"", True),
        (Opcode.CLOSE, (4409, "replaced"), True),
    ]


def test_a_long_close_reason_is_cut_at_a_character_boundary() -> None:
    frame = encode_close(1008, "é" * 100)
    [(_, (code, reason), _)] = as_seen_by_a_client(frame)
    assert code == 1008
    assert reason == "é" * 61  # 122 bytes: a 62nd "é" would pass 123


@pytest.mark.parametrize("code", [1005, 1006, 1015, 999, 5000])
def test_a_close_code_that_may_not_go_on_the_wire_is_refused(code: int) -> None:
    with pytest.raises(ValueError):
        encode_close(code)


def test_control_payloads_over_125_bytes_are_refused() -> None:
    encode_ping(bytes(125))
    with pytest.raises(ValueError):
        encode_ping(bytes(126))
    with pytest.raises(ValueError):
        encode_pong(bytes(126))


# -- what clients send: well-formed ---------------------------------------------------


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_client_messages_at_every_length_boundary_decode(size: int) -> None:
    client = FrameProtocol(client=True, extensions=[])  # a fresh random mask per frame
    text = "a" * size
    binary = bytes(range(256)) * (size // 256) + bytes(size % 256)
    data = client.send_data(text) + client.send_data(binary)

    assert read_all(bytes(data), max_message_size=65536) == [
        Message(text, None),
        Message(None, binary),
    ]


@given(payload=st.binary(max_size=300), mask=st.binary(min_size=4, max_size=4))
def test_any_mask_unmasks_any_payload(payload: bytes, mask: bytes) -> None:
    data = client_frame(BINARY, payload, mask=mask) + client_frame(PING, payload[:125], mask=mask)
    assert read_all(data) == [Message(None, payload), Ping(payload[:125])]


def conversation() -> tuple[bytes, list[Event]]:
    """Messages, fragments, control frames between them, and a close: bytes and events."""
    client = FrameProtocol(client=True, extensions=[])
    data = (
        client.send_data("héllo 😀")
        + client.ping(b"1")
        + client.send_data(b"\x00\x01", fin=False)
        + client.ping(b"2")
        + client.pong(b"3")
        + client.send_data(b"", fin=False)
        + client.send_data(b"\x02", fin=True)
        + client.send_data("x" * 300)
        + client.close(1000, "bye")
    )
    events: list[Event] = [
        Message("héllo 😀", None),
        Ping(b"1"),
        Ping(b"2"),
        Pong(b"3"),
        Message(None, b"\x00\x01\x02"),
        Message("x" * 300, None),
        Close(1000, "bye"),
    ]
    return bytes(data), events


def test_frames_fed_byte_by_byte_decode_as_when_coalesced() -> None:
    data, expected = conversation()
    assert read_all(data) == expected

    reader = FrameReader()
    events: list[Event] = []
    for i in range(len(data)):
        reader.feed(data[i : i + 1])
        events.extend(reader)
    assert events == expected


def test_frames_split_anywhere_decode_the_same() -> None:
    data, expected = conversation()
    for cut in range(len(data) + 1):
        reader = FrameReader()
        reader.feed(data[:cut])
        events = list(reader)
        reader.feed(data[cut:])
        events.extend(reader)
        assert events == expected, cut


def test_next_event_is_none_until_a_frame_is_complete() -> None:
    frame = client_frame(TEXT, b"hello")
    reader = FrameReader()
    reader.feed(frame[:-1])
    assert reader.next_event() is None
    reader.feed(frame[-1:])
    assert reader.next_event() == Message("hello", None)
    assert reader.next_event() is None


def test_extended_lengths_in_their_minimal_form_are_accepted() -> None:
    medium, large = bytes(126), bytes(65536)
    data = client_frame(BINARY, medium, length_bits=16) + client_frame(
        BINARY, large, length_bits=64
    )
    assert read_all(data, max_message_size=65536) == [
        Message(None, medium),
        Message(None, large),
    ]


# -- close frames ---------------------------------------------------------------------


def test_a_close_frame_yields_its_code_and_reason_to_echo() -> None:
    data = client_frame(CLOSE, close_payload(4000, "done, merci".encode()))
    assert read_all(data) == [Close(4000, "done, merci")]


def test_an_empty_close_frame_has_no_code() -> None:
    assert read_all(client_frame(CLOSE)) == [Close(None, "")]


def test_a_one_byte_close_payload_is_a_protocol_error() -> None:
    assert violation(client_frame(CLOSE, b"\x03")).close_code == 1002


@pytest.mark.parametrize(
    "code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535]
)
def test_a_close_code_rfc_6455_forbids_is_a_protocol_error(code: int) -> None:
    assert not is_valid_close_code(code)
    assert violation(client_frame(CLOSE, close_payload(code))).close_code == 1002


@pytest.mark.parametrize(
    "code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999]
)
def test_registered_and_application_close_codes_are_accepted(code: int) -> None:
    assert is_valid_close_code(code)
    assert read_all(client_frame(CLOSE, close_payload(code))) == [Close(code, "")]


def test_a_close_reason_that_is_not_utf8_is_invalid_payload() -> None:
    data = client_frame(CLOSE, close_payload(1000, b"\xff"))
    assert violation(data).close_code == 1007


def test_nothing_is_read_after_a_close_frame() -> None:
    reader = FrameReader()
    reader.feed(client_frame(CLOSE) + client_frame(TEXT, b"late"))
    assert list(reader) == [Close(None, "")]
    reader.feed(client_frame(TEXT, b"later") + b"\xff\xff")
    assert reader.next_event() is None


# -- protocol errors ------------------------------------------------------------------


def test_an_unmasked_client_frame_is_a_protocol_error() -> None:
    assert violation(client_frame(TEXT, b"hi", mask=None)).close_code == 1002


@pytest.mark.parametrize("rsv", [0x40, 0x20, 0x10])
def test_reserved_bits_without_an_extension_are_a_protocol_error(rsv: int) -> None:
    assert violation(client_frame(TEXT, b"hi", rsv=rsv)).close_code == 1002


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
def test_an_unknown_opcode_is_a_protocol_error(opcode: int) -> None:
    assert violation(client_frame(opcode)).close_code == 1002


@pytest.mark.parametrize(
    "frame",
    [
        client_frame(TEXT, b"a" * 125, length_bits=16),
        client_frame(TEXT, b"a" * 65535, length_bits=64),
        client_frame(TEXT, b"a" * 126, length_bits=64, declared=126 | 1 << 63),
    ],
    ids=["16-bit holding 125", "64-bit holding 65535", "64-bit with its top bit set"],
)
def test_a_length_in_a_longer_form_than_needed_is_a_protocol_error(frame: bytes) -> None:
    assert violation(frame, max_message_size=1 << 20).close_code == 1002


@pytest.mark.parametrize(
    "frame",
    [
        client_frame(PING, bytes(126)),
        client_frame(PING, b"1", fin=False),
        client_frame(CLOSE, close_payload(1000), fin=False),
    ],
    ids=["over 125 bytes", "fragmented ping", "fragmented close"],
)
def test_an_oversize_or_fragmented_control_frame_is_a_protocol_error(frame: bytes) -> None:
    assert violation(frame).close_code == 1002


def test_a_continuation_without_a_message_is_a_protocol_error() -> None:
    data = client_frame(TEXT, b"whole") + client_frame(CONTINUATION, b"more")
    assert violation(data).close_code == 1002


def test_a_new_message_inside_a_fragmented_one_is_a_protocol_error() -> None:
    data = client_frame(TEXT, b"part", fin=False) + client_frame(BINARY, b"other")
    assert violation(data).close_code == 1002


def test_a_violation_is_raised_after_the_events_before_it() -> None:
    reader = FrameReader()
    reader.feed(client_frame(PING, b"ok") + client_frame(TEXT, b"hi", mask=None))
    assert reader.next_event() == Ping(b"ok")
    with pytest.raises(ProtocolViolation):
        reader.next_event()
    reader.feed(client_frame(TEXT, b"after"))
    assert reader.next_event() is None


# -- text validity --------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload", [b"\xff", b"ok\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"cut \xe2\x82"]
)
def test_a_text_message_that_is_not_utf8_is_invalid_payload(payload: bytes) -> None:
    assert violation(client_frame(TEXT, payload)).close_code == 1007


def test_a_character_split_between_fragments_is_fine() -> None:
    smile = "😀".encode()
    data = (
        client_frame(TEXT, b"a" + smile[:1], fin=False)
        + client_frame(PING, b"between")
        + b"".join(client_frame(CONTINUATION, smile[i : i + 1], fin=False) for i in (1, 2))
        + client_frame(CONTINUATION, smile[3:] + "é".encode()[:1], fin=False)
        + client_frame(CONTINUATION, "é".encode()[1:])
    )
    assert read_all(data) == [Ping(b"between"), Message("a😀é", None)]


def test_invalid_utf8_fails_at_its_fragment_not_at_the_end_of_the_message() -> None:
    data = client_frame(TEXT, b"fine", fin=False) + client_frame(
        CONTINUATION, b"\xe2\x28", fin=False
    )
    assert violation(data).close_code == 1007


def test_a_message_ending_inside_a_character_is_invalid_payload() -> None:
    data = client_frame(TEXT, b"fine", fin=False) + client_frame(CONTINUATION, b"\xe2\x82")
    assert violation(data).close_code == 1007


# -- size limit -----------------------------------------------------------------------


def test_a_frame_of_exactly_the_limit_is_accepted() -> None:
    assert read_all(client_frame(BINARY, bytes(4096))) == [Message(None, bytes(4096))]


@pytest.mark.parametrize("declared", [4097, 65535, 1 << 40])
def test_an_oversize_frame_is_refused_from_its_header_alone(declared: int) -> None:
    header = client_frame(BINARY, declared=declared)  # no payload follows
    assert violation(header).close_code == 1009


def test_an_oversize_fragmented_message_is_refused_from_the_last_header() -> None:
    first = client_frame(TEXT, b"a" * 3000, fin=False)
    reader = FrameReader()
    reader.feed(first + client_frame(PING, b"p"))
    assert list(reader) == [Ping(b"p")]
    reader.feed(client_frame(CONTINUATION, declared=1097))
    with pytest.raises(ProtocolViolation) as raised:
        reader.next_event()
    assert raised.value.close_code == 1009


def test_a_fragmented_message_of_exactly_the_limit_is_accepted() -> None:
    data = client_frame(BINARY, bytes(4000), fin=False) + client_frame(CONTINUATION, bytes(96))
    assert read_all(data) == [Message(None, bytes(4096))]


def test_control_frames_do_not_count_towards_the_message_limit() -> None:
    data = (
        client_frame(BINARY, bytes(4000), fin=False)
        + client_frame(PING, bytes(125))
        + client_frame(CONTINUATION, bytes(96))
    )
    assert read_all(data) == [Ping(bytes(125)), Message(None, bytes(4096))]
