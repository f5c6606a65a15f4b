"""The way in to chat rooms: finds a chat's room, or starts it, then asks it.

A room is started on demand, under the supervisor, restarted on failure, and
stops itself when idle (``chat_room``). Two callers may want the same room at
once: one starts it and the other meets NameTaken, then finds it registered a
moment later. A room may also stop (idle, or a crash) between being found and
being asked: the request fails with ActorGone, and is sent once more to the
room's successor. That is safe for every request: a post carries a client_id
(the caller's, or one made here), so a post the old room stored before it died
is answered with the stored message, never stored twice.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import trio

from courtside.persistence import Database
from courtside.persistence.chats import TEXT
from courtside.protocol import NotFound, ServiceUnavailable
from courtside.protocol.user_messages import MAX_ID

from .bus import Bus
from .chat_messages import (
    AddMember,
    Announce,
    Checked,
    DeleteChat,
    DeleteMessage,
    Enrol,
    NotChatMember,
    Post,
    Posted,
    RemoveMember,
    RoomMessage,
    Typing,
    Unenrol,
    Unread,
)
from .chat_room import IDLE_TIMEOUT, ChatRoom, RenderMessage, room_name
from .handle import ActorGone, MailboxFull, Reply, RequestTimeout
from .registry import NameTaken
from .supervisor import Restart, Supervisor

T = TypeVar("T")

REQUEST_TIMEOUT = 5.0
# Seconds between looks for a room another caller is starting, or one waiting
# out its restart backoff.
START_POLL = 0.01
ATTEMPTS = 2


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("The chat is busy; try again.", code="chat_unavailable")


class ChatRooms:
    """Sends requests to chat rooms, starting them as needed; what handlers and sockets use."""

    def __init__(
        self,
        *,
        supervisor: Supervisor,
        database: Database,
        bus: Bus,
        render_message: RenderMessage,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self._supervisor = supervisor
        self._database = database
        self._bus = bus
        self._render_message = render_message
        self._idle_timeout = idle_timeout

    async def post(
        self, chat_id: int, sender_id: int, content: str, client_id: str | None = None,
        *, kind: str = TEXT, payload: dict[str, Any] | None = None,
    ) -> Posted:
        """Store and send a message; ``content`` must have passed ``clean_content``."""
        client_id = client_id or secrets.token_urlsafe(16)
        return await self._request(
            chat_id, lambda reply: Post(sender_id, client_id, content, reply, kind, payload)
        )

    async def checked(self, chat_id: int, user_id: int, seen_messages: int | None) -> Unread:
        return await self._request(
            chat_id, lambda reply: Checked(user_id, seen_messages, reply)
        )

    async def typing(self, chat_id: int, user_id: int) -> None:
        """Pass on that the user types; dropped, never waited for, when the room is busy."""
        handle = await self._room(chat_id)
        try:
            handle.send_nowait(Typing(user_id))
        except ActorGone:
            pass  # the room just stopped: typing is not worth starting another one

    async def delete_message(self, chat_id: int, user_id: int, message_id: int) -> None:
        if not 1 <= message_id <= MAX_ID:
            raise NotFound("Message not found.")
        await self._request(chat_id, lambda reply: DeleteMessage(user_id, message_id, reply))

    async def add_member(self, chat_id: int, by_id: int, user_id: int) -> bool:
        return await self._request(chat_id, lambda reply: AddMember(by_id, user_id, reply))

    async def remove_member(self, chat_id: int, by_id: int, user_id: int) -> None:
        await self._request(chat_id, lambda reply: RemoveMember(by_id, user_id, reply))

    async def delete_chat(self, chat_id: int, by_id: int) -> None:
        await self._request(chat_id, lambda reply: DeleteChat(by_id, reply))

    # For the feature that owns a group (a tournament): no member asks these.

    async def announce(
        self, chat_id: int, client_id: str, content: str, payload: dict[str, Any]
    ) -> Posted:
        """Post a system message, once per ``client_id``: a retry finds the stored one."""
        return await self._request(
            chat_id, lambda reply: Announce(client_id, content, payload, reply)
        )

    async def enrol(self, chat_id: int, user_id: int) -> bool:
        return await self._request(chat_id, lambda reply: Enrol(user_id, reply))

    async def unenrol(self, chat_id: int, user_id: int) -> None:
        await self._request(chat_id, lambda reply: Unenrol(user_id, reply))

    async def _request(
        self, chat_id: int, make_message: Callable[[Reply[T]], RoomMessage]
    ) -> T:
        with trio.move_on_after(REQUEST_TIMEOUT):
            for _ in range(ATTEMPTS):
                handle = await self._room(chat_id)
                try:
                    return await handle.request(make_message, timeout=REQUEST_TIMEOUT)
                except ActorGone:
                    continue  # it stopped after we found it; its successor answers
                except (MailboxFull, RequestTimeout):
                    raise unavailable() from None
        raise unavailable()

    async def _room(self, chat_id: int) -> Any:
        """The chat's running room, wherever in the cluster it runs, started here if
        none does (under the caller's deadline)."""
        if not 1 <= chat_id <= MAX_ID:
            raise NotChatMember()  # no such row can exist; its room must not try to load it
        name = room_name(chat_id)
        while True:
            handle = await self._bus.find(name)
            if handle is not None:
                return handle
            if not await self._bus.claim(name):
                await trio.sleep(START_POLL)  # another node just claimed it: find it there
                continue
            try:
                return await self._supervisor.start(
                    self._factory(chat_id), name=name, restart=Restart.ON_FAILURE,
                    on_exit=self._gone,
                )
            except NameTaken:
                await trio.sleep(START_POLL)
            except RuntimeError:
                # What start() raises once the supervisor is shutting down: no
                # room starts any more, and the client may try another node.
                raise unavailable() from None

    async def _gone(self, name: str, crashed: Exception | None) -> None:
        await self._bus.release(name)

    def _factory(self, chat_id: int) -> Callable[[], ChatRoom]:
        incarnations = itertools.count()
        return lambda: ChatRoom(
            chat_id,
            database=self._database,
            bus=self._bus,
            render_message=self._render_message,
            restarted=next(incarnations) > 0,
            idle_timeout=self._idle_timeout,
        )
