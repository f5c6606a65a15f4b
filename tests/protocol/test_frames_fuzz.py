"""Differential fuzzing: our FrameReader and wsproto agree on client byte streams.

Hypothesis builds client frames, feeds them to our reader in random chunks and
whole to wsproto's server-side ``FrameProtocol``, and checks that both yield the
same messages, pings, pongs and close, and fail on the same frame with the same
close code. A stream is messages (fragmented anywhere, pings and pongs between
fragments) and pings and pongs, maybe a close and an arbitrary frame, with invalid
UTF-8 here and there; two streams in three get one flaw in one frame. As most
streams fail before their flaw, flawed frames are also checked on their own, and
close codes are checked all 65536 of them.

Where wsproto differs by design the generator keeps away, rather than the check
bending:
- wsproto has no size limit, so no message here comes near our 4096-byte one
  (payloads are at most 200 bytes); the limit has its own tests in
  ``test_frames.py``.
- wsproto refuses close code 1014 (Bad Gateway), registered with IANA after
  RFC 6455; we accept it, as the ``websockets`` library does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from wsproto.frame_protocol import CloseReason, FrameProtocol, Opcode, ParseFailed

from courtside.protocol.frames import (
    Close,
    Event,
    FrameReader,
    Message,
    Ping,
    Pong,
    ProtocolViolation,
)

from .test_frames import BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT, client_frame


@dataclass(frozen=True)
class Frame:
    """One client frame as the generator draws it: honest unless told otherwise."""

    opcode: int
    payload: bytes
    fin: bool = True
    rsv: int = 0
    masked: bool = True
    mask: bytes = b"\x00\x00\x00\x00"
    length_bits: int | None = None  # None: the shortest length form
    top_bit: bool = False  # set in a 64-bit length

    def encode(self) -> bytes:
        return client_frame(
            self.opcode,
            self.payload,
            fin=self.fin,
            rsv=self.rsv,
            mask=self.mask if self.masked else None,
            length_bits=self.length_bits,
            declared=len(self.payload) | 1 << 63 if self.top_bit else None,
        )


# -- the two readers ------------------------------------------------------------------

Outcome = tuple[list[Event], int | None]


def read_with_ours(stream: bytes, chunk_sizes: list[int]) -> Outcome:
    """Our events and close code, the stream fed in chunks of these sizes, then the rest."""
    reader = FrameReader(max_message_size=4096)
    events: list[Event] = []
    start = 0
    try:
        for size in [*chunk_sizes, len(stream)]:
            reader.feed(stream[start : start + size])
            start += size
            events.extend(reader)
    except ProtocolViolation as violation:
        return events, int(violation.close_code)
    return events, None


def read_with_wsproto(stream: bytes) -> Outcome:
    """wsproto's frames, reassembled into our events, and its close code."""
    protocol = FrameProtocol(client=False, extensions=[])
    protocol.receive_bytes(stream)
    events: list[Event] = []
    parts: list = []  # of str for a text message, of bytes for a binary one
    try:
        for frame in protocol.received_frames():
            if frame.opcode is Opcode.PING:
                events.append(Ping(frame.payload))
            elif frame.opcode is Opcode.PONG:
                events.append(Pong(frame.payload))
            elif frame.opcode is Opcode.CLOSE:
                code, reason = frame.payload
                events.append(Close(None if code == CloseReason.NO_STATUS_RCVD else code, reason))
            else:
                parts.append(frame.payload)
                if frame.message_finished:
                    if frame.opcode is Opcode.TEXT:
                        events.append(Message("".join(parts), None))
                    else:
                        events.append(Message(None, b"".join(parts)))
                    parts = []
    except ParseFailed as failure:
        return events, int(failure.code)
    return events, None


# -- frames -------------------------------------------------------------------------

INVALID_UTF8 = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x28"]
CUT_CHARACTERS = [b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98"]


@st.composite
def text_payloads(draw: st.DrawFn) -> bytes:
    """UTF-8 text; one time in three, with an invalid sequence or a character cut short."""
    text = draw(st.text(max_size=40)).encode()
    match draw(st.integers(0, 5)):
        case 0:
            at = draw(st.integers(0, len(text)))
            return text[:at] + draw(st.sampled_from(INVALID_UTF8)) + text[at:]
        case 1:
            return text + draw(st.sampled_from(CUT_CHARACTERS))
        case _:
            return text


masks = st.binary(min_size=4, max_size=4)
# Every code is checked against wsproto below; here, mostly valid ones.
close_codes = st.sampled_from([1000, 1001, 1003, 1008, 1011, 3000, 4999, 1005, 5000])
close_payloads = st.one_of(
    st.tuples(close_codes.map(lambda code: code.to_bytes(2)), text_payloads()).map(b"".join),
    st.sampled_from([b"", b"\x03"]),  # no code; a one-byte payload
)

data_frames = st.one_of(
    st.builds(Frame, st.just(TEXT), text_payloads(), fin=st.booleans(), mask=masks),
    st.builds(Frame, st.just(BINARY), st.binary(max_size=200), fin=st.booleans(), mask=masks),
)
pings_and_pongs = st.builds(
    Frame, st.sampled_from([PING, PONG]), st.binary(max_size=125), mask=masks
)
close_frames = st.builds(Frame, st.just(CLOSE), close_payloads, mask=masks)
arbitrary_frames = st.builds(
    Frame,
    st.integers(0, 15),
    st.one_of(text_payloads(), st.binary(max_size=125)),
    fin=st.booleans(),
    mask=masks,
)


@st.composite
def messages(draw: st.DrawFn) -> list[Frame]:
    """A data message cut into fragments anywhere, maybe pings and pongs in between."""
    opcode = draw(st.sampled_from([TEXT, BINARY]))
    payload = draw(text_payloads() if opcode == TEXT else st.binary(max_size=200))
    cuts = sorted(draw(st.lists(st.integers(0, len(payload)), max_size=3)))
    pieces = [payload[start:end] for start, end in zip([0, *cuts], [*cuts, len(payload)])]
    frames = []
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        frames.append(Frame(CONTINUATION if i else opcode, piece, fin=last, mask=draw(masks)))
        if not last and draw(st.booleans()):
            frames.append(draw(pings_and_pongs))
    return frames


FLAWS = ["reserved bit", "unmasked", "reserved opcode", "fin flipped"]
# A control frame's length over 125 is refused before its form is looked at.
DATA_FLAWS = ["16-bit length", "64-bit length", "64-bit length, top bit set"]
CONTROL_FLAWS = ["126-byte payload"]


@st.composite
def with_flaw(draw: st.DrawFn, frame: Frame) -> Frame:
    """The frame with one flaw, harmless at times (a fin flipped may fit the stream)."""
    replace = dataclasses.replace
    control = frame.opcode >= CLOSE
    match draw(st.sampled_from(FLAWS + (CONTROL_FLAWS if control else DATA_FLAWS))):
        case "reserved bit":
            return replace(frame, rsv=draw(st.sampled_from([0x40, 0x20, 0x10])))
        case "unmasked":
            return replace(frame, masked=False)
        case "reserved opcode":
            opcode = draw(st.sampled_from([3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF]))
            return replace(frame, opcode=opcode)
        case "fin flipped":
            return replace(frame, fin=not frame.fin)
        case "16-bit length":
            return replace(frame, length_bits=16)
        case "64-bit length":
            return replace(frame, length_bits=64)
        case "64-bit length, top bit set":
            return replace(frame, length_bits=64, top_bit=True)
        case "126-byte payload":
            return replace(frame, payload=frame.payload.ljust(126, b"\0"))
    raise AssertionError("unreachable")


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    groups = draw(st.lists(messages() | pings_and_pongs.map(lambda frame: [frame]), max_size=6))
    frames = [frame for group in groups for frame in group]
    # One close at most, so that most streams run on to their flaw.
    for extra in draw(st.none() | close_frames), draw(st.none() | arbitrary_frames):
        if extra is not None:
            frames.insert(draw(st.integers(0, len(frames))), extra)
    if frames and draw(st.integers(0, 2)):
        i = draw(st.integers(0, len(frames) - 1))
        frames[i] = draw(with_flaw(frames[i]))
    return b"".join(frame.encode() for frame in frames)


# -- tests --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(stream=streams(), chunk_sizes=st.lists(st.integers(1, 64), max_size=20))
def test_reader_agrees_with_wsproto_on_client_streams(
    stream: bytes, chunk_sizes: list[int]
) -> None:
    assert read_with_ours(stream, chunk_sizes) == read_with_wsproto(stream)


@settings(max_examples=300, deadline=None)
@given(frame=(data_frames | pings_and_pongs | close_frames).flatmap(with_flaw))
def test_reader_agrees_with_wsproto_on_any_flawed_frame(frame: Frame) -> None:
    stream = frame.encode()
    # Byte by byte, so that every check also meets a header cut short.
    assert read_with_ours(stream, [1] * len(stream)) == read_with_wsproto(stream)


def test_reader_agrees_with_wsproto_on_every_close_code() -> None:
    for code in range(0x10000):
        if code == 1014:  # see the module's docstring
            continue
        stream = Frame(CLOSE, code.to_bytes(2) + b"bye").encode()
        assert read_with_ours(stream, []) == read_with_wsproto(stream), code
