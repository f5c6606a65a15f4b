"""How a user is shown: to themselves (``me``) and to others.

The shapes are declared once, as the types the OpenAPI document shows and the
builders below fill.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from courtside.actors import UserPresence
from courtside.persistence import AvatarStore, Relationship, User

from ..responses import Shown


class Notifications(Shown):
    friend_requests: int  # pending requests the user received
    chats: int  # chats holding messages the user has not seen


class MeProfile(Shown):
    id: int
    username: str
    nickname: str
    bio: str
    email: str | None
    is_guest: bool
    created_at: datetime
    profile_picture: dict[str, str]  # small, medium, large
    accept_friend_request: bool
    accept_chat_from: Literal["none", "friends_only", "everyone"]
    trophies: int
    notifications: Notifications
    is_online: bool
    last_online: datetime | None


class Status(Shown):
    is_online: bool
    game_playing: str | None  # the match code while they play
    last_online: datetime | None


class PublicProfile(Shown):
    id: int
    username: str
    nickname: str
    bio: str
    is_guest: bool
    profile_picture: dict[str, str]
    status: Status
    trophies: int
    is_friend: bool
    friend_request: Literal["sent", "received"] | None
    is_blocked: bool
    is_blocked_by: bool
    chat_id: int | None  # the viewer's dialogue with the user, hidden or not


def me_profile(
    user: User, avatars: AvatarStore, presence: UserPresence, *, friend_requests: int,
    chats: int,
) -> dict[str, Any]:
    """``friend_requests``: how many pending requests the user received; ``chats``: how
    many of their chats hold messages they have not seen."""
    return msgspec.to_builtins(MeProfile(
        id=user.id,
        username=user.username,
        nickname=user.nickname,
        bio=user.bio,
        email=user.email,
        is_guest=user.is_guest,
        created_at=user.created_at,
        profile_picture=avatars.urls(user.avatar),
        accept_friend_request=user.accept_friend_request,
        accept_chat_from=user.accept_chat_from,  # type: ignore[arg-type]
        trophies=user.trophies,
        notifications=Notifications(friend_requests, chats),
        is_online=presence.is_online,
        last_online=user.last_online,
    ))


def public_profile(
    user: User, avatars: AvatarStore, presence: UserPresence, relationship: Relationship,
    chat_id: int | None,
) -> dict[str, Any]:
    """``user`` as the viewer sees them; ``relationship`` is the viewer's to ``user``,
    ``chat_id`` the viewer's dialogue with them (hidden or not), if they have one."""
    return msgspec.to_builtins(PublicProfile(
        id=user.id,
        username=user.username,
        nickname=user.nickname,
        bio=user.bio,
        is_guest=user.is_guest,
        profile_picture=avatars.urls(user.avatar),
        status=Status(presence.is_online, presence.game_playing, user.last_online),
        trophies=user.trophies,
        is_friend=relationship.friendship_id is not None,
        friend_request=_friend_request(relationship),
        is_blocked=relationship.block_id is not None,
        is_blocked_by=relationship.blocked_by,
        chat_id=chat_id,
    ))


def _friend_request(relationship: Relationship) -> Literal["sent", "received"] | None:
    if relationship.sent_request_id is not None:
        return "sent"
    if relationship.received_request_id is not None:
        return "received"
    return None
