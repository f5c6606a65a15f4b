"""`/ws/` on the HTTP port: the user socket over hypercorn's WebSocket (DESIGN.md §6).

Kept for same-origin and reference clients; the game port serves the same
session with writes that never wait (``lean_channel``, docs/LIVE_CHANNEL.md).
WebSocket routes pass no before_request hook: the session authenticates itself.
"""

from __future__ import annotations

from collections.abc import Awaitable

import msgspec
import trio
from quart import Blueprint, websocket

from courtside.actors import Connection
from courtside.protocol import CloseCode
from courtside.protocol.admission import Admission, Verdict
from courtside.protocol.game_messages import Error
from courtside.protocol.user_messages import (
    ClientMessage,
    ServerMessage,
    decode_client_message,
    encode_server_message,
)

from ..auth.identity import public
from ..services import services
from ..sockets import close_websocket
from . import session
from .events import ACCOUNT_DELETED, close_for

blueprint = Blueprint("user_socket", __name__)


@blueprint.websocket("/ws/")
@public  # it authenticates itself, by cookie or a first message
async def user_socket() -> None:
    await services().sockets.serve(_serve)


async def _serve() -> None:
    await websocket.accept()
    await session.serve(HypercornChannel())


class HypercornChannel:
    """The session's socket on the HTTP port: every write awaits hypercorn's."""

    def __init__(self) -> None:
        self.cookie_token = websocket.cookies.get("access")
        self.last_event_id = websocket.args.get("last_event_id")
        self._admission = Admission(trio.current_time)

    async def receive(self) -> ClientMessage:
        while True:
            # Quart hands an empty binary message over as None (``bytes or text``).
            payload = await websocket.receive() or b""
            verdict = self._admission.admit()
            if verdict is Verdict.CLOSE:
                raise session.Closing(*Admission.RATE_LIMITED)
            if verdict is Verdict.DROP:
                continue
            try:
                return decode_client_message(payload)
            except msgspec.DecodeError as error:
                if self._admission.malformed():
                    raise session.Closing(*Admission.TOO_MANY_MALFORMED) from None
                await self.send(Error("malformed_message", str(error)))

    async def send(self, message: ServerMessage) -> None:
        await websocket.send(encode_server_message(message))

    async def carry(
        self, connection: Connection, answering: Awaitable[tuple[int, str]]
    ) -> tuple[int, str]:
        """Two tasks, one forwarding events and one answering: the first to end wins."""
        ending: list[tuple[int, str]] = []

        async def run(task: Awaitable[tuple[int, str]]) -> None:
            try:
                ending.append(await task)
            except session.Closing as closing:
                ending.append((closing.code, closing.reason))
            nursery.cancel_scope.cancel()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(run, self._forward(connection))
            nursery.start_soon(run, answering)
        return ending[0]

    async def _forward(self, connection: Connection) -> tuple[int, str]:
        for event in connection.replay:
            await websocket.send(event.socket_frame)
        async for event in connection.events:
            await websocket.send(event.socket_frame)
            if event.name == ACCOUNT_DELETED:
                return CloseCode.NORMAL, "account deleted"
        return close_for(connection)

    async def close(self, code: int, reason: str) -> None:
        await close_websocket(code, reason)
