"""A /ws/ client that can send what no browser would: frames built byte by byte."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import msgspec
import trio
from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Request, TextMessage

from courtside.server.node import Node
from tests.accounts import Account

from .conftest import GAME_PORT, ws_url

CLOSED_WITHOUT_A_FRAME = 1006  # what a browser reports when the TCP connection just ends


class RawSocket:
    def __init__(self, stream: trio.SocketStream, connection: WSConnection) -> None:
        self.stream = stream
        self.connection = connection
        self.messages: list[dict[str, Any]] = []

    async def send_raw(self, data: bytes) -> None:
        await self.stream.send_all(data)

    async def send_message(self, message: dict[str, Any]) -> None:
        await self.stream.send_all(self.connection.send(TextMessage(msgspec.json.encode(message).decode())))

    async def close_code(self) -> int:
        """Read until the server closes: the code of its close frame, or 1006 when the
        connection ends without one."""
        return await self.answer_or_close(lambda message: False)  # type: ignore[return-value]

    async def answer_or_close(self, answered: Callable[[dict[str, Any]], bool]) -> int | None:
        """Read until a message ``answered`` accepts (None) or the server closes (the
        code); every message on the way lands in ``messages``."""
        while True:
            data = await self.stream.receive_some(65536)
            if not data:
                return CLOSED_WITHOUT_A_FRAME
            self.connection.receive_data(data)
            for event in self.connection.events():
                if isinstance(event, CloseConnection):
                    return event.code
                if isinstance(event, Message):
                    message = msgspec.json.decode(event.data)
                    self.messages.append(message)
                    if answered(message):
                        return None


@asynccontextmanager
async def raw_user_socket(
    node: Node, account: Account, port: str = GAME_PORT
) -> AsyncIterator[RawSocket]:
    host, port_number = urlsplit(ws_url(node, port=port)).netloc.rsplit(":", 1)
    stream = await trio.open_tcp_stream(host, int(port_number))
    async with stream:
        connection = WSConnection(ConnectionType.CLIENT)
        await stream.send_all(connection.send(Request(
            host=host, target="/ws/", extra_headers=[(b"cookie", f"access={account.access}".encode())],
        )))
        while not any(isinstance(event, AcceptConnection) for event in connection.events()):
            connection.receive_data(await stream.receive_some(65536))
        yield RawSocket(stream, connection)
