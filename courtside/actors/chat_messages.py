"""What the outside exchanges with a chat room: the messages its inbox takes, its
answers, and the rule every message's content follows (DESIGN.md §9).

A room refuses with the protocol's errors (``Forbidden``, ``NotFound``,
``Throttled``), which the HTTP layer renders as they are and the user socket
turns into error frames: both doors give the same answer for the same refusal.
"""

from __future__ import annotations

from typing import Any

import msgspec

from courtside.persistence.chats import TEXT, Deletion, Message
from courtside.protocol import Forbidden, NotFound

from .handle import Reply

MAX_CONTENT_LENGTH = 2000


class InvalidContent(ValueError):
    """A message's content is blank, longer than MAX_CONTENT_LENGTH once trimmed, or
    holds a NUL character."""


def clean_content(content: str) -> str:
    """The content as stored: trimmed, 1 to MAX_CONTENT_LENGTH characters."""
    trimmed = content.strip()
    if not trimmed:
        raise InvalidContent("A message cannot be blank.")
    if "\x00" in trimmed:
        # PostgreSQL text cannot hold it; refused here, it never reaches a room.
        raise InvalidContent("A message cannot contain NUL characters.")
    if len(trimmed) > MAX_CONTENT_LENGTH:
        raise InvalidContent(f"A message has at most {MAX_CONTENT_LENGTH} characters.")
    return trimmed


class NotChatMember(Forbidden):
    """The caller is not in this chat; a chat that does not exist answers the same,
    so that chat ids are not worth probing (the reference's 403 for both)."""

    code = "not_chat_member"
    detail = "You are not a member of this chat."


def deletion_refused(result: Deletion) -> Exception | None:
    """Why a member's deletion of a message was refused; None when it stands (or stood)."""
    if result is Deletion.NOT_FOUND:
        return NotFound("Message not found.")
    if result is Deletion.NOT_AUTHOR:
        return Forbidden("You can only delete your own messages.", code="not_message_author")
    return None


class Posted(msgspec.Struct, frozen=True):
    """The stored message; ``retried`` when the client_id had been used, and nothing was sent."""

    message: Message
    retried: bool


class Unread(msgspec.Struct, frozen=True):
    """A member's unread state, as the ``unread_messages`` event carries it.

    ``amount_total`` is the chat's number of messages, as in the reference's chat
    socket: a client that has seen everything answers it back as ``seen_messages``.
    """

    chat_id: int
    amount_unseen: int
    amount_total: int


class Post(msgspec.Struct, frozen=True):
    sender_id: int
    client_id: str
    content: str  # already clean_content()'d
    reply: Reply[Posted]
    kind: str = TEXT
    payload: dict[str, Any] | None = None  # an invite's (persistence.chats.INVITE)


class Typing(msgspec.Struct, frozen=True):
    user_id: int


class Checked(msgspec.Struct, frozen=True):
    """The member has seen the chat's first ``seen_messages`` messages (None: all of them)."""

    user_id: int
    seen_messages: int | None
    reply: Reply[Unread]


class DeleteMessage(msgspec.Struct, frozen=True):
    user_id: int
    message_id: int
    reply: Reply[None]


class AddMember(msgspec.Struct, frozen=True):
    """The admin ``by_id`` adds ``user_id``; answers False if they were a member already."""

    by_id: int
    user_id: int
    reply: Reply[bool]


class RemoveMember(msgspec.Struct, frozen=True):
    """The admin removes ``user_id``, or a member (``by_id == user_id``) leaves."""

    by_id: int
    user_id: int
    reply: Reply[None]


class DeleteChat(msgspec.Struct, frozen=True):
    by_id: int
    reply: Reply[None]


class Announce(msgspec.Struct, frozen=True):
    """A system message from the feature that owns a group (a tournament); ``client_id``
    names the announcement, so announcing it again stores nothing and sends nothing."""

    client_id: str
    content: str
    payload: dict[str, Any]
    reply: Reply[Posted]


class Enrol(msgspec.Struct, frozen=True):
    """The feature that owns a group adds ``user_id``, no admin asked; False if a member."""

    user_id: int
    reply: Reply[bool]


class Unenrol(msgspec.Struct, frozen=True):
    """The feature that owns a group removes ``user_id``, if a member."""

    user_id: int
    reply: Reply[None]


RoomMessage = (Post | Typing | Checked | DeleteMessage | AddMember | RemoveMember | DeleteChat
               | Announce | Enrol | Unenrol)
