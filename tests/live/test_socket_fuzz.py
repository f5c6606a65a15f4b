"""/ws/ under generated input (hypothesis): whatever a client sends, it gets an answer
(an error frame, a refusal, a pong) or a documented close code, in bounded time.

Each example opens a raw socket, sends its frames, then a ping: the pong proves that
everything before it was answered (the socket answers in order), a close frame must
carry a code the live channel documents, and silence or a dropped connection fails.
Hypothesis runs in a worker thread and plays each example on the test's own server,
while a match plays there: its players keep their seats and every tick's state.
"""

from __future__ import annotations

import httpx
import msgspec
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from courtside.protocol import CloseCode
from courtside.server.node import Node
from tests.accounts import Account, make_user
from tests.hardening.game_wire import assert_played_on, play_watched_match
from tests.protocol.test_frames import BINARY, CONTINUATION, TEXT, client_frame

from .conftest import WAIT, over_both_ports
from .raw_socket import raw_user_socket

DOCUMENTED_CLOSES = {
    CloseCode.PROTOCOL_ERROR, CloseCode.INVALID_PAYLOAD, CloseCode.POLICY_VIOLATION,
    CloseCode.MESSAGE_TOO_BIG, CloseCode.RATE_LIMITED,
}
PROBE = 424242
FIELDS = ("chat_id", "content", "client_id", "seen_messages", "t", "token", "type")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=16,
)
messages = st.builds(
    lambda type_, fields: {"type": type_, **fields},
    st.sampled_from(["ping", "authenticate", "send_message", "messages_checked", "typing", "nope", ""]),
    st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=4),
)
payloads = st.one_of(
    messages.map(msgspec.json.encode),
    json_values.map(msgspec.json.encode),
    st.binary(max_size=64),
    st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")),  # lone surrogates: not UTF-8
    st.integers(1, 5000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.sampled_from([
        b"NaN", b"1e999", b"-" + b"9" * 400, b'{"type": "typing", "chat_id": 1e999}',
        b'{"type": "messages_checked", "chat_id": 1, "seen_messages": 99999999999999999999999}',
        b'{"type": "ping", "t": -1e400}', b'{"type": "send_message", "chat_id": 1, "content": "\\ud800"}',
        b'{"type": "ping"' + b", " * 2000 + b"}", b"\xef\xbb\xbf{}",
    ]),
    st.integers(16 * 1024 - 64, 20 * 1024).map(lambda size: b"x" * size),  # around the size limit
)
frames = st.tuples(payloads, st.sampled_from([TEXT, BINARY]), st.integers(1, 4))


def fragmented(payload: bytes, opcode: int, pieces: int) -> bytes:
    """``payload`` as one message in ``pieces`` frames: the first, continuations, the last."""
    size = -(-len(payload) // pieces) or 1
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
    return b"".join(
        client_frame(opcode if i == 0 else CONTINUATION, chunk, fin=i == len(chunks) - 1)
        for i, chunk in enumerate(chunks)
    )


async def exchange(node: Node, account: Account, port: str,
                   sent: list[tuple[bytes, int, int]]) -> None:
    with trio.fail_after(WAIT):
        async with raw_user_socket(node, account, port) as socket:
            await socket.send_raw(b"".join(fragmented(*frame) for frame in sent))
            await socket.send_message({"type": "ping", "t": PROBE})
            closed = await socket.answer_or_close(lambda m: m == {"type": "pong", "t": PROBE})
            assert closed is None or closed in DOCUMENTED_CLOSES, (closed, socket.messages)
            answers = [m for m in socket.messages if "id" not in m]  # events are not answers
            assert all(m["type"] in {"error", "pong", "message_sent", "message_refused"} for m in answers), answers


@over_both_ports
async def test_generated_frames_get_an_answer_or_a_documented_close_while_a_match_plays(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    dora = await make_user(client, "dora")

    @settings(max_examples=80, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(sent=st.lists(frames, min_size=1, max_size=6))
    def each_example(sent: list[tuple[bytes, int, int]]) -> None:
        trio.from_thread.run(exchange, node, dora, port, sent)

    async with trio.open_nursery() as nursery:
        match = await nursery.start(play_watched_match, node)
        ticks_before = [len(stream.ticks) for stream in match.streams]
        await trio.to_thread.run_sync(each_example)
        match.stop.set()
    assert_played_on(match, ticks_before)
