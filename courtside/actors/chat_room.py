"""A chat's room (``chat:<id>``): stores each message, then tells every member.

DESIGN.md §7, §9. A room runs while its chat is active: ``ChatRooms`` starts it
with the first message, typing or read that comes for the chat, and it stops
after IDLE_TIMEOUT without any. It rebuilds its state from the database when it
starts (members and how far each has read), so the supervisor may restart it
after a crash at any point: a message is stored in one statement before anyone
hears of it, and a client retrying with the same client_id gets the stored one.
Posts queued back to back share that statement (group commit, POST_BATCH).

Events it sends through the bus, to members' live channels:

- ``receive-message`` to every member, the sender's other tabs included: data is
  the MessageInstance, kwargs ``{username, message, chat_id}`` (the reference's).
- ``unread_messages {chat_id, amount_unseen, amount_total}`` to each member the
  count changed for: the others on a new message, the reader on a read. A count
  is state, not news: during a burst of messages each member hears it at once
  for the first message, then at most once per UNREAD_EVERY seconds, with the
  latest count (half the frames of a busy group are these).
- ``messages_read {chat_id, user_id, seen_messages}`` to the others on a read:
  read receipts.
- ``typing {chat_id, user_id}`` to the others, at most once per TYPING_EVERY
  seconds per member.
- ``delete-message {chat_id, message_id}`` to every member on a deletion.
- ``chat-member-add {chat_id, user_id, by_id}`` to every member, the newcomer
  included, when a group's admin adds someone.
- ``chat-member-remove {chat_id, user_id, by_id}`` to every member and to the one
  who goes, when the admin removes them or they leave (``by_id == user_id``).
- ``chat-delete {chat_id, by_id}`` to every member when the admin deletes the group.

A group that a feature owns (a tournament's: no admin) takes two more requests:
``Announce``, a system message with no author, sent as ``receive-message`` with
``username`` null and counted unread for every member; and ``Enrol``/``Unenrol``,
membership changed by the feature, whose events carry ``by_id`` null.

Membership events go out once the row is written; the room's member list is the
one fan-out list, so someone removed hears nothing of the group from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import trio

from courtside.persistence import Database, DataRefused
from courtside.persistence.chats import DIALOGUE, Chats, Deletion, Draft, Message, Outcome, Stored
from courtside.protocol import Forbidden, NotFound, Throttled

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
    deletion_refused,
)
from .handle import Inbox, Overflow, Reply
from .send_rate import SendRate

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 300.0
INBOX_CAPACITY = 1024
MAX_GROUP_MEMBERS = 100
TYPING_EVERY = 2.0
UNREAD_EVERY = 0.5
# Per member and chat: a burst, then a steady rate. A person types slower; a
# client looping on send does not flood a hundred members' channels.
SEND_BURST = 20
SENDS_PER_SECOND = 5.0
# Posts queued back to back are stored in one write (group commit): a busy room's
# messages wait for one database round trip per batch rather than one each.
POST_BATCH = 64

RenderMessage = Callable[[Message], dict[str, Any]]


def room_name(chat_id: int) -> str:
    return f"chat:{chat_id}"


@dataclass(slots=True)
class _Member:
    seen_count: int
    send_rate: SendRate
    typed_at: float = float("-inf")

    @classmethod
    def joining(cls, seen_count: int) -> _Member:
        return cls(seen_count, SendRate(SEND_BURST, SENDS_PER_SECOND, trio.current_time()))


class ChatRoom:
    """One chat's live state: members, how far each has read, their typing and send rates."""

    def __init__(
        self,
        chat_id: int,
        *,
        database: Database,
        bus: Bus,
        render_message: RenderMessage,
        restarted: bool = False,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        self.chat_id = chat_id
        self._chats = Chats(database)
        self._bus = bus
        self._render_message = render_message
        self._restarted = restarted
        self._idle_timeout = idle_timeout
        self._is_dialogue = False
        self._admin_id: int | None = None
        self._message_count = 0
        self._members: dict[int, _Member] = {}
        # While a window is open, new messages only mark members' counts stale;
        # the window's end tells them the latest.
        self._unread_window_ends: float | None = None
        self._unread_stale: set[int] = set()

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        room = await self._chats.room(self.chat_id)
        if room is None:
            if self._restarted:
                return  # deleted while we were down: nothing left to serve
            raise NotChatMember()
        self._is_dialogue = room.kind == DIALOGUE
        self._admin_id = room.admin_id
        self._message_count = room.message_count
        self._members = {m.user_id: _Member.joining(m.seen_count) for m in room.members}
        # Typing is worth nothing late: dropped when the room falls behind. Requests
        # that do not fit are refused to their caller whatever the policy.
        with Inbox[RoomMessage](INBOX_CAPACITY, Overflow.DROP_NEWEST,
                                name=room_name(self.chat_id)) as inbox:
            task_status.started(inbox.handle)
            await self._serve(inbox)

    async def _serve(self, inbox: Inbox[RoomMessage]) -> None:
        """Handle messages in the order they came, until idle or the chat is gone."""
        idle_at = trio.current_time() + self._idle_timeout
        # What ended a run of posts taken together: handled next, so nothing overtakes it.
        taken: RoomMessage | None = None
        while True:
            message, taken = taken, None
            if message is None:
                wake_at = idle_at
                if self._unread_window_ends is not None:
                    wake_at = min(wake_at, self._unread_window_ends)
                # Only the wait is timed: handling a message never runs into a deadline.
                with trio.move_on_at(wake_at):
                    message = await inbox.receive()
            if message is None:
                if self._unread_window_ends is None:
                    log.debug("%s idle, stopping", room_name(self.chat_id))
                    return
                self._close_unread_window()
                continue
            if isinstance(message, Post):
                # The posts queued right behind it are stored in the same write.
                posts, taken = inbox.receive_run(
                    message, Post, lambda posts: len(posts) >= POST_BATCH)
                await self._post(posts)
            elif not await self._handle(message):
                return
            idle_at = trio.current_time() + self._idle_timeout

    async def _handle(self, message: RoomMessage) -> bool:
        """Act on one message; False once the room must stop (its chat is gone)."""
        match message:
            case Typing(user_id):
                self._typing(user_id)
            case Checked():
                await self._checked(message)
            case DeleteMessage():
                await self._delete_message(message)
            case AddMember():
                await self._add_member(message)
            case RemoveMember():
                await self._remove_member(message)
            case Announce():
                await self._announce(message)
            case Enrol():
                await self._enrol(message)
            case Unenrol():
                await self._unenrol(message)
            case DeleteChat(by_id, reply):
                if self._refuse_unless_admin(by_id, reply):
                    return True
                await self._chats.delete_chat(self.chat_id)
                self._bus.publish(self._members, "chat-delete",
                                  {"chat_id": self.chat_id, "by_id": by_id})
                reply.send(None)
                return False
        return True

    # Messages

    async def _post(self, posts: list[Post]) -> None:
        """Check each post in order, store those that pass in one write, then tell and
        answer each in order."""
        admitted = [post for post in posts if self._admits(post)]
        if admitted:
            await self._store(admitted)

    async def _store(self, posts: list[Post]) -> None:
        """Store ``posts`` in one write. A write that fails otherwise than by refusing
        their data ends the room: every poster of the batch then hears ActorGone, and
        none of their messages is stored. Refused data is tried again post by post:
        the one post PostgreSQL will not take fails alone, and the others are stored."""
        try:
            outcomes = await self._chats.store_messages(self.chat_id, [
                Draft(post.sender_id, post.client_id, post.content, self._partner_of(post.sender_id),
                      post.kind, post.payload)
                for post in posts
            ])
        except DataRefused as refused:
            if len(posts) == 1:
                log.error("%s: message refused by the database: %s", room_name(self.chat_id), refused)
                posts[0].reply.fail(refused)
                return
            for post in posts:
                await self._store([post])
            return
        for post, stored in zip(posts, outcomes, strict=True):
            self._posted(post, stored)

    def _admits(self, post: Post) -> bool:
        """False, with the post refused, unless its sender is a member within their send rate."""
        sender = self._members.get(post.sender_id)
        if sender is None:
            post.reply.fail(NotChatMember())
            return False
        if wait := sender.send_rate.spend(trio.current_time()):
            post.reply.fail(Throttled(wait))
            return False
        return True

    def _posted(self, post: Post, stored: Stored) -> None:
        if stored.outcome is Outcome.REFUSED:
            post.reply.fail(Forbidden("You cannot message this user.", code="user_blocked"))
            return
        assert stored.message is not None
        if stored.outcome is Outcome.DUPLICATE:
            post.reply.send(Posted(stored.message, retried=True))
            return
        message = stored.message
        self._message_count = message.seq
        self._members[post.sender_id].seen_count = message.seq
        self._bus.publish(self._members, "receive-message", self._render_message(message), {
            "username": None if message.author is None else message.author.username,
            "message": message.content,
            "chat_id": self.chat_id,
        })
        self._tell_unread([user_id for user_id in self._members if user_id != post.sender_id])
        post.reply.send(Posted(message, retried=False))

    async def _announce(self, announce: Announce) -> None:
        """A system message: stored, then sent as any message, unread by every member."""
        if self._is_dialogue:
            announce.reply.fail(Forbidden("A dialogue takes no announcements.", code="not_a_group"))
            return
        stored = await self._chats.store_system_message(
            self.chat_id, client_id=announce.client_id, content=announce.content,
            payload=announce.payload,
        )
        if stored.message is None:
            announce.reply.fail(NotChatMember())  # the chat was deleted
            return
        if stored.outcome is Outcome.DUPLICATE:
            announce.reply.send(Posted(stored.message, retried=True))
            return
        message = stored.message
        self._message_count = message.seq
        self._bus.publish(self._members, "receive-message", self._render_message(message), {
            "username": None, "message": message.content, "chat_id": self.chat_id,
        })
        self._tell_unread(list(self._members))
        announce.reply.send(Posted(message, retried=False))

    def _partner_of(self, user_id: int) -> int | None:
        """In a dialogue, the other person: blocks between the two are checked as it stores."""
        if not self._is_dialogue:
            return None
        return next((other for other in self._members if other != user_id), None)

    async def _delete_message(self, deletion: DeleteMessage) -> None:
        if deletion.user_id not in self._members:
            deletion.reply.fail(NotChatMember())
            return
        result = await self._chats.delete_message(self.chat_id, deletion.message_id,
                                                  deletion.user_id)
        if (refusal := deletion_refused(result)) is not None:
            deletion.reply.fail(refusal)
            return
        if result is Deletion.DELETED:
            self._bus.publish(self._members, "delete-message",
                              {"chat_id": self.chat_id, "message_id": deletion.message_id})
        deletion.reply.send(None)

    # Typing and reading

    def _typing(self, user_id: int) -> None:
        member = self._members.get(user_id)
        now = trio.current_time()
        if member is None or now - member.typed_at < TYPING_EVERY:
            return
        member.typed_at = now
        others = [other for other in self._members if other != user_id]
        self._bus.publish(others, "typing", {"chat_id": self.chat_id, "user_id": user_id})

    async def _checked(self, checked: Checked) -> None:
        member = self._members.get(checked.user_id)
        if member is None:
            checked.reply.fail(NotChatMember())
            return
        seen = self._message_count if checked.seen_messages is None else checked.seen_messages
        # A client may only claim what exists, and a read never goes back.
        seen = min(seen, self._message_count)
        if seen > member.seen_count:
            await self._chats.mark_seen(self.chat_id, checked.user_id, seen)
            member.seen_count = seen
            self._unread_stale.discard(checked.user_id)
            self._publish_unread(checked.user_id, member)
            others = [other for other in self._members if other != checked.user_id]
            self._bus.publish(others, "messages_read", {
                "chat_id": self.chat_id, "user_id": checked.user_id, "seen_messages": seen,
            })
        checked.reply.send(self._unread(member))

    def _tell_unread(self, user_ids: list[int]) -> None:
        """Their counts went up: tell them now, or at the end of the open window."""
        if self._unread_window_ends is not None:
            self._unread_stale.update(user_ids)
            return
        for user_id in user_ids:
            self._publish_unread(user_id, self._members[user_id])
        self._unread_window_ends = trio.current_time() + UNREAD_EVERY

    def _close_unread_window(self) -> None:
        stale, self._unread_stale = self._unread_stale, set()
        for user_id in stale:
            if (member := self._members.get(user_id)) is not None:
                self._publish_unread(user_id, member)
        # Traffic goes on: the next window starts now. A quiet room tells the next at once.
        self._unread_window_ends = trio.current_time() + UNREAD_EVERY if stale else None

    def _unread(self, member: _Member) -> Unread:
        return Unread(self.chat_id, self._message_count - member.seen_count, self._message_count)

    def _publish_unread(self, user_id: int, member: _Member) -> None:
        unread = self._unread(member)
        self._bus.publish_to_user(user_id, "unread_messages", {
            "chat_id": unread.chat_id,
            "amount_unseen": unread.amount_unseen,
            "amount_total": unread.amount_total,
        })

    # Membership (groups)

    def _refuse_unless_admin(self, by_id: int, reply: Reply[Any]) -> bool:
        """Fail ``reply`` unless ``by_id`` is this group's admin; True when it failed."""
        if by_id not in self._members:
            reply.fail(NotChatMember())
        elif self._is_dialogue:
            reply.fail(Forbidden("A dialogue has its two members, no more, no less.",
                                 code="not_a_group"))
        elif by_id != self._admin_id:
            reply.fail(Forbidden("Only the group's admin may do this.", code="not_chat_admin"))
        else:
            return False
        return True

    async def _add_member(self, adding: AddMember) -> None:
        if self._refuse_unless_admin(adding.by_id, adding.reply):
            return
        if adding.user_id in self._members:
            adding.reply.send(False)
            return
        if len(self._members) >= MAX_GROUP_MEMBERS:
            adding.reply.fail(Forbidden(f"A group has at most {MAX_GROUP_MEMBERS} members.",
                                        code="chat_full"))
            return
        seen_count = await self._chats.add_member(self.chat_id, adding.user_id)
        self._members[adding.user_id] = _Member.joining(seen_count)
        self._bus.publish(self._members, "chat-member-add", {
            "chat_id": self.chat_id, "user_id": adding.user_id, "by_id": adding.by_id,
        })
        adding.reply.send(True)

    async def _remove_member(self, removal: RemoveMember) -> None:
        leaving = removal.by_id == removal.user_id
        if leaving:
            if removal.by_id not in self._members:
                removal.reply.fail(NotChatMember())
                return
            if self._is_dialogue:
                removal.reply.fail(Forbidden("A dialogue cannot be left; hide it instead.",
                                             code="not_a_group"))
                return
        elif self._refuse_unless_admin(removal.by_id, removal.reply):
            return
        if removal.user_id == self._admin_id:
            removal.reply.fail(Forbidden("The admin deletes the group rather than leave it.",
                                         code="admin_cannot_leave"))
            return
        if removal.user_id not in self._members:
            removal.reply.fail(NotFound("This user is not a member of this chat."))
            return
        await self._chats.remove_member(self.chat_id, removal.user_id)
        # The one who goes hears it too, then nothing more from this group.
        self._bus.publish(self._members, "chat-member-remove", {
            "chat_id": self.chat_id, "user_id": removal.user_id, "by_id": removal.by_id,
        })
        del self._members[removal.user_id]
        removal.reply.send(None)

    async def _enrol(self, enrol: Enrol) -> None:
        if self._is_dialogue:
            enrol.reply.fail(Forbidden("A dialogue has its two members.", code="not_a_group"))
            return
        if enrol.user_id in self._members:
            enrol.reply.send(False)
            return
        seen_count = await self._chats.add_member(self.chat_id, enrol.user_id)
        self._members[enrol.user_id] = _Member.joining(seen_count)
        self._bus.publish(self._members, "chat-member-add", {
            "chat_id": self.chat_id, "user_id": enrol.user_id, "by_id": None,
        })
        enrol.reply.send(True)

    async def _unenrol(self, unenrol: Unenrol) -> None:
        if unenrol.user_id in self._members and not self._is_dialogue:
            await self._chats.remove_member(self.chat_id, unenrol.user_id)
            self._bus.publish(self._members, "chat-member-remove", {
                "chat_id": self.chat_id, "user_id": unenrol.user_id, "by_id": None,
            })
            del self._members[unenrol.user_id]
        unenrol.reply.send(None)
