"""Fuzzing the game port over real sockets while a match plays on the same server.

Each generated abuse comes from a fresh spectator socket of the watched match and
gets what DESIGN.md §6 documents, within a bound: an ``error`` frame (code
``malformed_message``) for a message the protocol refuses, the connection still
answering a ping after it; or the close code of its class (1002 protocol, 1007
bad UTF-8, 1009 too big, 4429 flood). Meanwhile both players of the match keep
their seats and receive every tick's state, none skipped (the tick shard skips
ticks only when it runs three ticks, 50 ms, late). ``COURTSIDE_FUZZ_EXAMPLES``
runs longer than CI's default.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courtside.http.game_port import HANDSHAKE_TIMEOUT
from courtside.http.lean_socket import GAME_LIMITS
from courtside.protocol.game_messages import WireFormat, client_message_decoder
from courtside.server.config import Config
from tests.protocol.test_frames import BINARY, CONTINUATION, TEXT, client_frame

from .game_wire import (
    ANSWER_WITHIN,
    Closed,
    RawGameSocket,
    ServerThread,
    WatchedMatch,
    assert_played_on,
    play_watched_match,
)

MAX_MESSAGE_BYTES = GAME_LIMITS.max_message_bytes
EXAMPLES = int(os.environ.get("COURTSIDE_FUZZ_EXAMPLES", "60"))
TYPES = ["authenticate", "report_ready", "paddle_position_update", "report_left", "ping",
         "welcome", "", "PING"]
DECODE = {WireFormat.JSON: client_message_decoder(WireFormat.JSON),
          WireFormat.MSGPACK: client_message_decoder(WireFormat.MSGPACK)}


@pytest.fixture
def watched(config: Config) -> Iterator[tuple[ServerThread, WatchedMatch]]:
    with ServerThread(config) as server:
        match = server.start(play_watched_match, server.node)
        yield server, match
        server.call(_stop, match)


async def _stop(match: WatchedMatch) -> None:
    match.stop.set()


# -- what a spectator may send ------------------------------------------------------------


@dataclass(frozen=True)
class Abuse:
    """Bytes to send after the welcome, and what the server must answer."""

    frames: bytes
    msgpack: bool = False
    close_code: int | None = None  # None: the socket stays open and answers a ping
    must_error: bool = False  # an error frame comes before the pong


odd_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40) | \
    st.sampled_from(["\u202e", "\ufeff", "\U0001f3d3" * 20, "e\u0301", "\x00", "\uffff"])


def values(integers: st.SearchStrategy[int]) -> st.SearchStrategy[object]:
    return st.recursive(
        st.none() | st.booleans() | odd_text | integers
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
        max_leaves=12,
    )


def message_shaped(inner: st.SearchStrategy[object]) -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {"type": st.sampled_from(TYPES)},
        optional={"t": inner, "token": inner, "position": inner},
    )


# JSON numbers may be any size; MessagePack's integers stop at 64 bits.
json_values = values(st.integers(min_value=-(2**70), max_value=2**70))
msgpack_values = values(st.integers(min_value=-(2**63), max_value=2**64 - 1))
raw_numbers = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "1" * 400,
                               "0x10", "1.", "-", "1e", "00"])


def _judged(payload: bytes, wire: WireFormat) -> bool:
    """Whether the protocol refuses this payload: an error frame must answer it."""
    try:
        DECODE[wire](payload if wire is WireFormat.MSGPACK else payload.decode())
    except msgspec.DecodeError:
        return True
    return False


def _text_message(payload: bytes) -> Abuse:
    return Abuse(client_frame(TEXT, payload), must_error=_judged(payload, WireFormat.JSON))


def _fragmented(opcode: int, payload: bytes, cuts: list[int]) -> bytes:
    points = sorted({min(c, len(payload)) for c in cuts})
    pieces = [payload[a:b] for a, b in zip([0, *points], [*points, len(payload)])]
    return b"".join(client_frame(opcode if i == 0 else CONTINUATION, piece, fin=i == len(pieces) - 1)
                    for i, piece in enumerate(pieces))


@st.composite
def abuses(draw: st.DrawFn) -> Abuse:
    kind = draw(st.sampled_from([
        "json", "message", "number", "nesting", "garbage", "binary_in_json", "msgpack",
        "msgpack_message", "text_in_msgpack", "fragmented", "oversized", "bad_utf8",
        "unmasked", "reserved_bits", "flood",
    ]))
    if kind == "json":
        return _text_message(msgspec.json.encode(draw(json_values)))
    if kind == "message":
        return _text_message(msgspec.json.encode(draw(message_shaped(json_values))))
    if kind == "number":
        field = draw(st.sampled_from(["t", "position"]))
        kind_ = "ping" if field == "t" else "paddle_position_update"
        return _text_message(f'{{"type":"{kind_}","{field}":{draw(raw_numbers)}}}'.encode())
    if kind == "nesting":
        depth = draw(st.integers(1, MAX_MESSAGE_BYTES // 2 - 20))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        return _text_message((opener * depth + "1" + closer * depth).encode()[:MAX_MESSAGE_BYTES])
    if kind == "garbage":
        return _text_message(draw(odd_text).encode())
    if kind == "binary_in_json":
        return Abuse(client_frame(BINARY, draw(st.binary(max_size=64))), must_error=True)
    if kind == "msgpack":
        payload = draw(st.binary(max_size=64))
        return Abuse(client_frame(BINARY, payload), msgpack=True,
                     must_error=_judged(payload, WireFormat.MSGPACK))
    if kind == "msgpack_message":
        value = draw(message_shaped(msgpack_values) | st.fixed_dictionaries(
            {"type": st.just("ping"), "t": st.floats() | st.integers(-(2**63), 2**64 - 1)}))
        payload = msgspec.msgpack.encode(value)
        return Abuse(client_frame(BINARY, payload), msgpack=True,
                     must_error=_judged(payload, WireFormat.MSGPACK))
    if kind == "text_in_msgpack":
        return Abuse(client_frame(TEXT, b'{"type":"ping"}'), msgpack=True, must_error=True)
    if kind == "fragmented":
        ping = b'{"type":"ping","t":1.5}'
        cuts = draw(st.lists(st.integers(0, len(ping)), max_size=6))
        return Abuse(_fragmented(TEXT, ping, cuts))
    if kind == "oversized":
        size = draw(st.integers(MAX_MESSAGE_BYTES + 1, 4 * MAX_MESSAGE_BYTES))
        cuts = draw(st.lists(st.integers(0, size), max_size=5))
        return Abuse(_fragmented(TEXT, b"x" * size, cuts), close_code=1009)
    if kind == "bad_utf8":
        prefix = draw(st.binary(max_size=8).filter(lambda b: b"\xff" not in b))
        return Abuse(client_frame(TEXT, b'{"type":"ping"' + prefix + b"\xff\xfe}"), close_code=1007)
    if kind == "unmasked":
        return Abuse(client_frame(TEXT, b'{"type":"ping"}', mask=None), close_code=1002)
    if kind == "reserved_bits":
        return Abuse(client_frame(TEXT, b'{"type":"ping"}', rsv=draw(st.sampled_from([0x10, 0x20, 0x40]))),
                     close_code=1002)
    count = draw(st.integers(1000, 3000))
    return Abuse(client_frame(TEXT, b'{"type":"ping","t":2.0}') * count, close_code=4429)


def _answered(sock: RawGameSocket, abuse: Abuse) -> None:
    """The socket's answer to ``abuse`` is the documented one."""
    sock.send_raw(abuse.frames)
    if abuse.close_code is not None:
        assert sock.close_code() == abuse.close_code
        return
    sock.send_message({"type": "ping", "t": 9.25})
    try:
        while sock.until("pong").get("t") != 9.25:  # a generated ping may carry no t
            pass
    except Closed as closed:
        raise AssertionError(f"closed with {closed.code} instead of answering") from None
    if abuse.must_error:
        assert [e["code"] for e in sock.errors] == ["malformed_message"], sock.errors
    else:
        assert sock.errors == []


def test_fuzzed_spectators_get_their_answer_and_the_match_plays_on(watched) -> None:
    server, match = watched
    ticks_before = [len(stream.ticks) for stream in match.streams]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(abuse=abuses())
    def one(abuse: Abuse) -> None:
        sock = RawGameSocket(match.ws_url, msgpack=abuse.msgpack).open(match.spectator.access)
        try:
            _answered(sock, abuse)
        finally:
            sock.close()

    one()
    assert_played_on(match, ticks_before)


def test_a_handshake_that_never_finishes_is_dropped(watched) -> None:
    _, match = watched
    ticks_before = [len(stream.ticks) for stream in match.streams]
    sock = RawGameSocket(match.ws_url)
    sock.sock.sendall(sock.handshake_bytes()[:20])
    # Bounded: recv raises TimeoutError if the server kept the socket past this.
    sock.sock.settimeout(HANDSHAKE_TIMEOUT + ANSWER_WITHIN)
    assert sock.sock.recv(1024) == b""  # closed, nothing said: there was no request
    # The port still serves: the stalled handshake took down nothing else.
    RawGameSocket(match.ws_url).open(match.spectator.access).close()
    assert_played_on(match, ticks_before)


def test_a_spectator_that_stops_reading_is_closed_as_a_slow_consumer(watched) -> None:
    _, match = watched
    ticks_before = [len(stream.ticks) for stream in match.streams]
    sock = RawGameSocket(match.ws_url, receive_buffer=4096).open(match.spectator.access)
    # Not reading: the kernel's buffers fill, then the server's backlog passes its
    # bound (64 KiB or one second), and the server closes the socket.
    time.sleep(3)
    assert sock.close_code() == 1008
    assert_played_on(match, ticks_before)
