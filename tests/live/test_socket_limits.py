"""/ws/ against frames no browser sends: each gets its close code, never a silent drop."""

from __future__ import annotations

import httpx
import trio

from courtside.protocol import CloseCode
from courtside.protocol.admission import MESSAGES_PER_SECOND
from courtside.server.node import Node
from tests.accounts import make_user
from tests.protocol.test_frames import BINARY, CONTINUATION, TEXT, client_frame

from .conftest import WAIT, close_code, over_both_ports, user_socket
from .raw_socket import raw_user_socket


@over_both_ports
async def test_a_text_frame_that_is_not_utf8_closes_with_1007(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    with trio.fail_after(WAIT):
        async with raw_user_socket(node, alice, port) as socket:
            await socket.send_raw(client_frame(TEXT, b'{"type": "ping", "x": "\xff\xfe"}'))
            assert await socket.close_code() == CloseCode.INVALID_PAYLOAD


@over_both_ports
async def test_a_one_mebibyte_frame_closes_with_1009(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    with trio.fail_after(WAIT):
        async with raw_user_socket(node, alice, port) as socket:
            await socket.send_raw(client_frame(TEXT, b"x" * 1024 * 1024))
            assert await socket.close_code() == CloseCode.MESSAGE_TOO_BIG


@over_both_ports
async def test_a_one_mebibyte_message_in_fragments_closes_with_1009(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    with trio.fail_after(WAIT):
        async with raw_user_socket(node, alice, port) as socket:
            await socket.send_raw(client_frame(TEXT, b"x" * 65536, fin=False))
            for last in [False] * 14 + [True]:
                await socket.send_raw(client_frame(CONTINUATION, b"x" * 65536, fin=last))
            assert await socket.close_code() == CloseCode.MESSAGE_TOO_BIG


@over_both_ports
async def test_a_browser_sending_one_mebibyte_sees_1009_and_the_close_completes(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    with trio.fail_after(WAIT):  # leaving the block waits for the closing handshake
        async with user_socket(node, alice, port=port) as socket:
            await socket.socket.send_message("x" * 1024 * 1024)
            assert await close_code(socket) == CloseCode.MESSAGE_TOO_BIG


@over_both_ports
async def test_an_empty_binary_message_is_malformed_not_fatal(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    with trio.fail_after(WAIT):
        async with raw_user_socket(node, alice, port) as socket:
            await socket.send_raw(client_frame(BINARY, b""))
            await socket.send_message({"type": "ping", "t": 1})
            assert await socket.answer_or_close(lambda message: message["type"] == "pong") is None
    assert socket.messages[0]["type"] == "error"
    assert socket.messages[0]["code"] == "malformed_message"


@over_both_ports
async def test_a_flood_without_reading_is_closed_with_4429(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    ping = client_frame(TEXT, b'{"type": "ping"}')
    with trio.fail_after(WAIT):
        async with raw_user_socket(node, alice, port) as socket:
            # Five seconds' worth of messages at once, and nothing read meanwhile.
            await socket.send_raw(ping * int(5 * MESSAGES_PER_SECOND))
            assert await socket.close_code() == CloseCode.RATE_LIMITED


@over_both_ports
async def test_an_unmasked_frame_closes_with_1002(
    client: httpx.AsyncClient, node: Node, port: str
) -> None:
    alice = await make_user(client, "alice")
    with trio.fail_after(WAIT):
        async with raw_user_socket(node, alice, port) as socket:
            await socket.send_raw(client_frame(TEXT, b'{"type": "ping"}', mask=None))
            assert await socket.close_code() == CloseCode.PROTOCOL_ERROR
