"""A user's /ws/ as a chat client sees it: chat events in order, answers by client_id."""

from __future__ import annotations

from collections import deque
from typing import Any

from courtside.server.node import Node
from tests.accounts import Account
from tests.live.conftest import Received, UserSocket

CHAT_EVENTS = frozenset({
    "receive-message", "unread_messages", "messages_read", "typing", "delete-message",
    "chat-member-add", "chat-member-remove", "chat-delete",
})
MARKER = "test-marker"


class ChatClient:
    """Reads one socket: chat events queue up, send answers are kept by client_id.

    Presence and other events are not chat's and are passed over.
    """

    def __init__(self, socket: UserSocket) -> None:
        self.socket = socket
        self._events: deque[Received] = deque()
        self._answers: dict[str, dict[str, Any]] = {}
        self._errors: deque[dict[str, Any]] = deque()

    async def _read(self) -> None:
        frame = await self.socket.receive()
        kind = frame["type"]
        if "id" in frame and (kind in CHAT_EVENTS or kind == MARKER):
            self._events.append(Received(frame["id"], kind, {**frame["data"], **frame["kwargs"]}))
        elif kind in ("message_sent", "message_refused"):
            self._answers[frame["client_id"]] = frame
        elif kind == "error":
            self._errors.append(frame)

    async def event(self) -> Received:
        while not self._events:
            await self._read()
        return self._events.popleft()

    async def events(self, count: int) -> list[Received]:
        return [await self.event() for _ in range(count)]

    async def send(self, chat_id: int, content: str, client_id: str) -> dict[str, Any]:
        """Send a message; the server's answer, message_sent or message_refused."""
        await self.socket.send("send_message", chat_id=chat_id, content=content,
                               client_id=client_id)
        while client_id not in self._answers:
            await self._read()
        return self._answers.pop(client_id)

    async def error(self) -> dict[str, Any]:
        while not self._errors:
            await self._read()
        return self._errors.popleft()

    async def everything_until_now(self, node: Node, account: Account) -> list[Received]:
        """Every chat event for the account so far, read up to a marker sent now.

        The hub delivers each user's events in order, so events still on their
        way come before the marker.
        """
        node.services.bus.publish_to_user(account.id, MARKER, {})
        heard = []
        while (event := await self.event()).name != MARKER:
            heard.append(event)
        return heard

    async def heard_nothing_else(self, node: Node, account: Account) -> bool:
        return await self.everything_until_now(node, account) == []
