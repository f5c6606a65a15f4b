"""Clients of the user channel over real sockets: an SSE reader and a /ws/ client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import msgspec
import pytest
import trio
import trio_websocket

from courtside.server.node import Node
from tests.accounts import Account

WAIT = 5.0


@dataclass(frozen=True)
class Received:
    id: int
    name: str
    data: dict[str, Any]


class SseClient:
    """Parses a text/event-stream the way a browser's EventSource does."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.last_event_id: int | None = None

    async def _frame(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        async for line in self._lines:
            if line == "":
                if fields:
                    return fields
                continue
            if line.startswith(":"):
                fields.setdefault("comment", line[1:].strip())
                continue
            key, _, value = line.partition(":")
            fields[key] = value.removeprefix(" ")
        raise EOFError("the stream ended")

    async def next_frame(self, wait: float = WAIT) -> dict[str, str]:
        with trio.fail_after(wait):
            return await self._frame()

    async def next(self) -> Received:
        """The next event, past heartbeats and retry hints."""
        while "event" not in (frame := await self.next_frame()):
            pass
        self.last_event_id = int(frame["id"])
        return Received(int(frame["id"]), frame["event"], msgspec.json.decode(frame["data"]))


@asynccontextmanager
async def sse(client: httpx.AsyncClient, account: Account,
              last_event_id: int | None = None) -> AsyncIterator[SseClient]:
    headers = dict(account.headers)
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    async with client.stream("GET", "/sse/users/", headers=headers, timeout=None) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = SseClient(response)
        # The retry hint comes once the stream is subscribed: nothing is missed after it.
        assert (await stream.next_frame()) == {"retry": "2000"}
        yield stream


class UserSocket:
    def __init__(self, socket: trio_websocket.WebSocketConnection) -> None:
        self.socket = socket
        self._early: list[dict[str, Any]] = []  # events that came before the pong

    async def send(self, type_: str, **fields: object) -> None:
        await self.socket.send_message(msgspec.json.encode({"type": type_, **fields}).decode())

    async def receive(self, wait: float = WAIT) -> dict[str, Any]:
        with trio.fail_after(wait):
            return msgspec.json.decode(await self.socket.get_message())

    async def next(self, wait: float = WAIT) -> Received:
        """The next event, past pongs and errors, each within ``wait`` seconds."""
        if self._early:
            message = self._early.pop(0)
        else:
            while "id" not in (message := await self.receive(wait)):
                pass
        return Received(message["id"], message["type"], {**message["data"], **message["kwargs"]})

    async def subscribed(self) -> None:
        """A ping answered means the socket is authenticated and receiving events."""
        await self.send("ping")
        while (message := await self.receive())["type"] != "pong":
            assert "id" in message, message
            self._early.append(message)


async def close_code(socket: UserSocket) -> int:
    """Read past whatever comes until the server closes; the close code it sent."""
    with trio.fail_after(WAIT):
        try:
            while True:
                await socket.socket.get_message()
        except trio_websocket.ConnectionClosed as closed:
            return closed.reason.code


# The two listeners that serve /ws/ (docs/LIVE_CHANNEL.md): the game port's, which
# /api/live/ advertises and the SDK uses, and the HTTP port's.
GAME_PORT, HTTP_PORT = "game port", "HTTP port"
over_both_ports = pytest.mark.parametrize("port", [GAME_PORT, HTTP_PORT])


def ws_url(node: Node, query: str = "", port: str = GAME_PORT) -> str:
    """Where an in-process node serves /ws/."""
    if port == GAME_PORT:
        return node.services.live_url + query
    return node.http_url.replace("http://", "ws://", 1) + "/ws/" + query


class Served(Protocol):
    """An in-process node, or a ``courtside serve`` process (tests/cluster)."""

    http_url: str


async def found_ws_url(node: Served, account: Account, port: str) -> str:
    """Where a node serves /ws/, as a client finds it: on the game port, from /api/live/."""
    if port == HTTP_PORT:
        return node.http_url.replace("http://", "ws://", 1) + "/ws/"
    async with httpx.AsyncClient(base_url=node.http_url) as http:
        return (await http.get("/api/live/", headers=account.headers)).json()["ws_url"]


@asynccontextmanager
async def user_socket(node: Served, account: Account, *, cookie: bool = True,
                      query: str = "", port: str = GAME_PORT) -> AsyncIterator[UserSocket]:
    headers = [("Cookie", f"access={account.access}")] if cookie else []
    url = await found_ws_url(node, account, port) + query
    async with trio_websocket.open_websocket_url(url, extra_headers=headers) as ws:
        socket = UserSocket(ws)
        if not cookie:
            await socket.send("authenticate", token=account.access)
        await socket.subscribed()
        yield socket
