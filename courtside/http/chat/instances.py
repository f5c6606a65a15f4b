"""The reference's chat instances, as responses and events show them.

ChatInstance: ``chat_with`` is the other person of a dialogue (null in a group),
``name`` the group's name (null in a dialogue), ``unread_messages`` the caller's
unread count, in the list as in the detail. MessageInstance: a deleted message
keeps its place as a tombstone, ``content`` empty and ``is_deleted`` true. Its
``author`` is the user without their status: a message is a record, and the
author's presence at the time of reading means nothing there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from courtside.persistence import AvatarStore, Chat, Message, Person
from courtside.persistence.chats import INVITE

from ..responses import Shown, page_of
from ..services import services
from ..social import Instances
from ..social.instances import UserInstance

INVITES_PATH = "/api/play/invites/"  # courtside.http.play.invites; a message links to it


class AuthorInstance(Shown):
    """What ``author_instance`` renders, as the OpenAPI document shows it."""

    id: int
    username: str
    nickname: str
    is_guest: bool
    profile_picture: dict[str, str]


class MessageInstance(Shown):
    """What ``message_instance`` renders, as the OpenAPI document shows it."""

    id: int
    chat_id: int
    author: AuthorInstance | None
    content: str
    is_deleted: bool
    sent_at: datetime
    is_read: bool
    type: str
    payload: dict[str, Any] | None
    actions: dict[str, str]


MessagePage = page_of(MessageInstance)


class ChatInstance(Shown):
    """What ``ChatInstances.chat`` renders: a chat in the caller's list."""

    id: int
    type: str
    name: str | None
    chat_with: UserInstance | None
    admin_id: int | None
    members_count: int
    last_message: MessageInstance | None
    created_at: datetime
    view_chat: bool
    unread_messages: int


class ChatDetail(ChatInstance, frozen=True):
    """One chat with its members (``ChatInstances.chat_with_members``)."""

    members: list[UserInstance]


def author_instance(person: Person, avatars: AvatarStore) -> dict[str, Any]:
    return {
        "id": person.id,
        "username": person.username,
        "nickname": person.nickname,
        "is_guest": person.is_guest,
        "profile_picture": avatars.urls(person.avatar),
    }


def message_instance(message: Message, avatars: AvatarStore) -> dict[str, Any]:
    """The MessageInstance: what the messages list, a post's answer and ``receive-message`` carry.

    ``type`` is ``message``, ``invite`` or ``system``; an invite's ``payload`` says how
    it stands and, while it is pending, ``actions`` holds the links its buttons call.
    A ``system`` message (a tournament's announcement) has no ``author`` and its
    ``payload`` says what it announces.
    """
    return {
        "id": message.id,
        "chat_id": message.chat_id,
        "author": None if message.author is None else author_instance(message.author, avatars),
        "content": message.content or "",
        "is_deleted": message.deleted_at is not None,
        "sent_at": message.sent_at,
        "is_read": message.is_read,
        "type": message.kind,
        "payload": _payload(message),
        "actions": _actions(message),
    }


def _payload(message: Message) -> dict[str, Any] | None:
    if message.kind == INVITE and message.payload is not None:
        return {"invite_id": message.id, **message.payload}
    return message.payload


def _actions(message: Message) -> dict[str, str]:
    if message.kind != INVITE or (message.payload or {}).get("status") != "pending":
        return {}
    invite = f"{INVITES_PATH}{message.id}/"
    return {"accept_link": f"{invite}accept/", "decline_link": f"{invite}decline/",
            "cancel_link": invite}


class ChatInstances:
    """Renders the chats of one response; everyone shown had their presence asked once."""

    def __init__(self, users: Instances, avatars: AvatarStore) -> None:
        self._users = users
        self._avatars = avatars

    @classmethod
    async def of(cls, people: Iterable[Person]) -> ChatInstances:
        return cls(await Instances.of(people), services().avatars)

    def user(self, person: Person) -> dict[str, Any]:
        """SmallUserInstance, as the social graph shows a user."""
        return self._users.user(person)

    def chat(self, chat: Chat) -> dict[str, Any]:
        return {
            "id": chat.id,
            "type": chat.kind,
            "name": chat.name,
            "chat_with": None if chat.partner is None else self.user(chat.partner),
            "admin_id": chat.admin_id,
            "members_count": chat.members_count,
            "last_message": (None if chat.last_message is None
                             else message_instance(chat.last_message, self._avatars)),
            "created_at": chat.created_at,
            "view_chat": chat.view_chat,
            "unread_messages": chat.unread,
        }

    def chat_with_members(self, chat: Chat, members: Iterable[Person]) -> dict[str, Any]:
        return {**self.chat(chat), "members": [self.user(member) for member in members]}
