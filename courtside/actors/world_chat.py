"""The world chat (``chat:world``): one public room every registered user may post to.

Issue 18, point 7. Its messages are a chat's like any other: stored in one
statement before anyone hears of them, numbered, retried safely by client_id,
deleted as tombstones (``persistence.chats``). What differs from a group's room:

- Everyone may read its history and post (guests read only: the HTTP layer
  refuses their posts). Hearing it live is a choice: a user who *joins*
  (``world_chat_members``, kept across sessions) gets its events on their live
  channels until they leave.
- No unread counts, read receipts or typing: a room of every user keeps no
  per-member state but the send rate of those who post.
- A stricter flood limit than a group's (SEND_BURST, SENDS_PER_SECOND per sender).
- Whoever blocked the author does not get the message live (and the history
  leaves it out for them).
- Fan-out goes FANOUT_CHUNK members at a time, yielding between chunks: each
  chunk is one message to the hub, so neither this room nor the hub holds the
  loop for long, however many joined.

Events, to members' live channels: ``receive-message`` (data the MessageInstance,
kwargs ``{username, message, chat_id}``, as a group's) and ``delete-message
{chat_id, message_id}``.

The room runs for the life of the node, restarted on failure; it rebuilds its
member list from the database.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Collection
from typing import Any, TypeVar

import msgspec
import trio

from courtside.persistence import Database, Social
from courtside.persistence.chats import Chats, Deletion, Outcome
from courtside.persistence.world_chat import WorldChatMembers
from courtside.protocol import NotFound, ServiceUnavailable, Throttled
from courtside.protocol.user_messages import MAX_ID

from .bus import Bus
from .chat_messages import DeleteMessage, Post, Posted, deletion_refused
from .chat_room import RenderMessage
from .handle import ActorGone, Inbox, MailboxFull, Overflow, Reply, RequestTimeout
from .send_rate import SendRate
from .supervisor import Restart, Supervisor


T = TypeVar("T")

WORLD_CHAT = "chat:world"
INBOX_CAPACITY = 1024
REQUEST_TIMEOUT = 5.0
FANOUT_CHUNK = 500
# Per sender: a public room with thousands of readers takes less than a group.
SEND_BURST = 5
SENDS_PER_SECOND = 1.0
# Senders whose rate is remembered before the refilled ones are forgotten.
MAX_TRACKED_SENDERS = 1024


class JoinWorld(msgspec.Struct, frozen=True):
    """The user hears the world chat live from now on; False if they had joined."""

    user_id: int
    reply: Reply[bool]


class LeaveWorld(msgspec.Struct, frozen=True):
    """The user stops hearing it; False if they had not joined."""

    user_id: int
    reply: Reply[bool]


WorldMessage = Post | DeleteMessage | JoinWorld | LeaveWorld


class WorldChatRoom:
    """The world chat's live state: who joined, and how fast each sender posts."""

    def __init__(self, chat_id: int, *, database: Database, bus: Bus,
                 render_message: RenderMessage) -> None:
        self.chat_id = chat_id
        self._chats = Chats(database)
        self._social = Social(database)
        self._members_store = WorldChatMembers(database)
        self._bus = bus
        self._render_message = render_message
        self._members: set[int] = set()
        self._send_rates: dict[int, SendRate] = {}

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self._members = set(await self._members_store.member_ids())
        with Inbox[WorldMessage](INBOX_CAPACITY, Overflow.REJECT, name=WORLD_CHAT) as inbox:
            task_status.started(inbox.handle)
            async for message in inbox:
                match message:
                    case Post():
                        await self._post(message)
                    case DeleteMessage():
                        await self._delete_message(message)
                    case JoinWorld(user_id, reply):
                        joined = await self._members_store.join(user_id)
                        self._members.add(user_id)
                        reply.send(joined)
                    case LeaveWorld(user_id, reply):
                        left = await self._members_store.leave(user_id)
                        self._members.discard(user_id)
                        reply.send(left)

    async def _post(self, post: Post) -> None:
        if wait := self._send_rate(post.sender_id).spend(trio.current_time()):
            post.reply.fail(Throttled(wait))
            return
        stored = await self._chats.store_message(
            self.chat_id, post.sender_id, partner_id=None, client_id=post.client_id,
            content=post.content,
        )
        assert stored.message is not None  # with no partner, nothing refuses it
        message = stored.message
        if stored.outcome is Outcome.STORED:
            blockers = set(await self._social.blocker_ids(post.sender_id))
            await self._fan_out("receive-message", self._render_message(message), {
                "username": None if message.author is None else message.author.username,
                "message": message.content,
                "chat_id": self.chat_id,
            }, skip=blockers)
        # Answered once every member's channel has it, as a group's room does.
        post.reply.send(Posted(message, retried=stored.outcome is Outcome.DUPLICATE))

    async def _delete_message(self, deletion: DeleteMessage) -> None:
        result = await self._chats.delete_message(self.chat_id, deletion.message_id,
                                                  deletion.user_id)
        if (refusal := deletion_refused(result)) is not None:
            deletion.reply.fail(refusal)
            return
        if result is Deletion.DELETED:
            await self._fan_out("delete-message",
                                {"chat_id": self.chat_id, "message_id": deletion.message_id})
        deletion.reply.send(None)

    async def _fan_out(self, name: str, data: dict[str, Any], kwargs: dict[str, Any] | None = None,
                       *, skip: Collection[int] = ()) -> None:
        """Publish to every member, a chunk at a time, letting the loop run between chunks.

        The member list is copied first: joins and leaves wait in the inbox anyway,
        but the copy is what makes the iteration safe.
        """
        members = list(self._members)
        for start in range(0, len(members), FANOUT_CHUNK):
            chunk = [user_id for user_id in members[start:start + FANOUT_CHUNK]
                     if user_id not in skip]
            if chunk:
                self._bus.publish(chunk, name, data, kwargs)
            await trio.sleep(0)

    def _send_rate(self, sender_id: int) -> SendRate:
        now = trio.current_time()
        rate = self._send_rates.get(sender_id)
        if rate is None:
            if len(self._send_rates) >= MAX_TRACKED_SENDERS:
                # A refilled bucket is a fresh one: forgetting it lets nobody send more.
                self._send_rates = {user_id: kept for user_id, kept in self._send_rates.items()
                                    if not kept.is_full(now)}
            rate = self._send_rates[sender_id] = SendRate(SEND_BURST, SENDS_PER_SECOND, now)
        return rate


def unavailable() -> ServiceUnavailable:
    return ServiceUnavailable("The world chat is busy; try again.", code="chat_unavailable")


class WorldChat:
    """The way in to the world chat's room; what handlers use."""

    def __init__(self, bus: Bus, chat_id: int, name: str) -> None:
        self._bus = bus
        self.chat_id = chat_id
        self.name = name

    @classmethod
    async def start(cls, *, supervisor: Supervisor, database: Database,
                    bus: Bus, render_message: RenderMessage) -> WorldChat:
        """The cluster's one room: started here under the supervisor (restarted on
        failure) unless a live node runs it; its door, from any node."""
        chat_id, name = await WorldChatMembers(database).chat()
        await bus.singleton(WORLD_CHAT, functools.partial(
            supervisor.start,
            lambda: WorldChatRoom(chat_id, database=database, bus=bus,
                                  render_message=render_message),
            name=WORLD_CHAT,
            restart=Restart.ON_FAILURE,
        ))
        return cls(bus, chat_id, name)

    async def post(self, sender_id: int, content: str, client_id: str | None = None) -> Posted:
        """Store and send a message; ``content`` must have passed ``clean_content``.

        Without a client_id, one is made: the post is then never taken for a retry.
        """
        client_id = client_id or secrets.token_urlsafe(16)
        return await self._request(lambda reply: Post(sender_id, client_id, content, reply))

    async def delete_message(self, user_id: int, message_id: int) -> None:
        if not 1 <= message_id <= MAX_ID:
            raise NotFound("Message not found.")
        await self._request(lambda reply: DeleteMessage(user_id, message_id, reply))

    async def join(self, user_id: int) -> bool:
        return await self._request(lambda reply: JoinWorld(user_id, reply))

    async def leave(self, user_id: int) -> bool:
        return await self._request(lambda reply: LeaveWorld(user_id, reply))

    async def _request(self, make_message: Callable[[Reply[T]], WorldMessage]) -> T:
        handle = await self._bus.find(WORLD_CHAT)
        if handle is None:
            raise unavailable()  # restarting after a failure
        try:
            return await handle.request(make_message, timeout=REQUEST_TIMEOUT)
        except (ActorGone, MailboxFull, RequestTimeout):
            raise unavailable() from None
