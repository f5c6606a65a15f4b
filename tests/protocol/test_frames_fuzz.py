"""Differential fuzzing: our FrameReader and wsproto agree on any client byte stream.

Hypothesis builds streams of client frames, well-formed or not, feeds them to our
reader in random chunks and whole to wsproto's server-side ``FrameProtocol``, and
checks that both yield the same messages, pings, pongs and close, and fail on the
same frame with the same close code.

Where wsproto differs by design the generator keeps away, rather than the check
bending:
- wsproto has no size limit, so a stream never carries more than 4096 bytes of
  payload, our limit; the limit has its own tests in ``test_frames.py``.
- wsproto refuses close code 1014 (Bad Gateway), registered with IANA after
  RFC 6455 and accepted by us as by the ``websockets`` library, so the generator
  never sends it.
"""

from __future__ import annotations

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

MAX_STREAM_PAYLOAD = 4096
# wsproto rejects 1014, which we accept (see above); the rest are a mix of both sides'
# valid and invalid codes, edges included.
CLOSE_CODES = [0, 999, 1000, 1001, 1003, 1004, 1005, 1006, 1007, 1010, 1011, 1012, 1013,
               1015, 1016, 2999, 3000, 3999, 4000, 4429, 4999, 5000, 65535]


@dataclass(frozen=True)
class Frame:
    """One client frame as the generator draws it, honest or not."""

    opcode: int
    payload: bytes
    fin: bool = True
    rsv: int = 0
    masked: bool = True
    mask: bytes = b"\x00\x00\x00\x00"
    # None: the shortest form; 16 or 64 force that form (non-minimal when too
    # long a form for the payload); "top" sets the 64-bit length's top bit.
    length_form: int | str | None = None

    def encode(self) -> bytes:
        top = self.length_form == "top"
        return client_frame(
            self.opcode,
            self.payload,
            fin=self.fin,
            rsv=self.rsv,
            mask=self.mask if self.masked else None,
            length_bits=64 if top else self.length_form,  # type: ignore[arg-type]
            declared=len(self.payload) | 1 << 63 if top else None,
        )


masks = st.binary(min_size=4, max_size=4)
# Mostly honest headers, so that streams often get past their first frames.
rsv_bits = st.sampled_from([0] * 60 + [0x40, 0x20, 0x10, 0x70])
masked = st.sampled_from([True] * 50 + [False])
length_forms = st.sampled_from([None] * 50 + [16, 64, "top"])

invalid_utf8 = st.sampled_from(
    [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe2\x28", b"\xe2\x82"]
)
text_payloads = st.one_of(
    st.text(max_size=40).map(str.encode),
    st.tuples(st.text(max_size=20), invalid_utf8, st.text(max_size=20)).map(
        lambda parts: parts[0].encode() + parts[1] + parts[2].encode()
    ),
)
close_payloads = st.one_of(
    st.tuples(st.sampled_from(CLOSE_CODES), st.one_of(text_payloads, st.binary(max_size=8))).map(
        lambda code_reason: code_reason[0].to_bytes(2) + code_reason[1]
    ),
    st.sampled_from([b"", b"\x03"]),  # no code; a one-byte payload
)


@st.composite
def control_frames(draw: st.DrawFn) -> Frame:
    opcode = draw(st.sampled_from([PING, PONG, PING, PONG, CLOSE]))
    if opcode == CLOSE:
        payload = draw(close_payloads)
    else:
        payload = draw(st.binary(max_size=130))  # over 125 now and then
    return Frame(opcode, payload, mask=draw(masks), length_form=draw(length_forms))


@st.composite
def messages(draw: st.DrawFn) -> list[Frame]:
    """A whole data message cut into fragments anywhere, control frames in between."""
    opcode = draw(st.sampled_from([TEXT, BINARY]))
    payload = draw(text_payloads if opcode == TEXT else st.binary(max_size=200))
    cuts = sorted(draw(st.lists(st.integers(0, len(payload)), max_size=3)))
    pieces = [payload[start:end] for start, end in zip([0, *cuts], [*cuts, len(payload)])]
    frames = []
    for i, piece in enumerate(pieces):
        frames.append(
            Frame(
                opcode if i == 0 else CONTINUATION,
                piece,
                fin=i == len(pieces) - 1,
                rsv=draw(rsv_bits),
                masked=draw(masked),
                mask=draw(masks),
                length_form=draw(length_forms),
            )
        )
        if draw(st.integers(0, 4)) == 0:
            frames.append(draw(control_frames()))
    return frames


@st.composite
def raw_frames(draw: st.DrawFn) -> list[Frame]:
    """Any frame at all: unknown opcodes, stray continuations, fragmented controls."""
    opcode = draw(st.one_of(st.sampled_from([CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG]),
                            st.integers(0, 15)))
    payload = draw(st.one_of(text_payloads, st.binary(max_size=130)))
    return [
        Frame(
            opcode,
            payload,
            fin=draw(st.booleans()),
            rsv=draw(rsv_bits),
            masked=draw(masked),
            mask=draw(masks),
            length_form=draw(length_forms),
        )
    ]


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    groups = draw(
        st.lists(
            # Raw frames are mostly wrong, so they come less often than the rest.
            st.one_of(messages(), messages(), control_frames().map(lambda f: [f]), raw_frames()),
            min_size=1,
            max_size=6,
        )
    )
    frames = [frame for group in groups for frame in group]
    total = 0
    kept = []
    for frame in frames:
        total += len(frame.payload)
        if total > MAX_STREAM_PAYLOAD:
            break
        kept.append(frame)
    return b"".join(frame.encode() for frame in kept)


Outcome = tuple[list[Event], int | None]


def read_with_ours(stream: bytes, chunk_sizes: list[int]) -> Outcome:
    reader = FrameReader(max_message_size=MAX_STREAM_PAYLOAD)
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
    """wsproto's frames reassembled into our events."""
    protocol = FrameProtocol(client=False, extensions=[])
    protocol.receive_bytes(stream)
    events: list[Event] = []
    parts: list[str | bytes] = []
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


@settings(max_examples=300, deadline=None)
@given(stream=streams(), chunk_sizes=st.lists(st.integers(1, 64), max_size=20))
def test_reader_agrees_with_wsproto_on_any_stream(stream: bytes, chunk_sizes: list[int]) -> None:
    assert read_with_ours(stream, chunk_sizes) == read_with_wsproto(stream)
