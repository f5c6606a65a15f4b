"""How a user is shown: to themselves (``me``) and to others."""

from __future__ import annotations

from typing import Any

from courtside.actors import UserPresence
from courtside.persistence import AvatarStore, Relationship, User


def me_profile(
    user: User, avatars: AvatarStore, presence: UserPresence, *, friend_requests: int,
    chats: int,
) -> dict[str, Any]:
    """``friend_requests``: how many pending requests the user received; ``chats``: how
    many of their chats hold messages they have not seen."""
    return {
        "id": user.id,
        "username": user.username,
        "nickname": user.nickname,
        "email": user.email,
        "is_guest": user.is_guest,
        "created_at": user.created_at,
        "profile_picture": avatars.urls(user.avatar),
        "accept_friend_request": user.accept_friend_request,
        "accept_chat_from": user.accept_chat_from,
        "trophies": user.trophies,
        "notifications": {"friend_requests": friend_requests, "chats": chats},
        "is_online": presence.is_online,
        "last_online": user.last_online,
    }


def public_profile(
    user: User, avatars: AvatarStore, presence: UserPresence, relationship: Relationship,
    chat_id: int | None,
) -> dict[str, Any]:
    """``user`` as the viewer sees them; ``relationship`` is the viewer's to ``user``,
    ``chat_id`` the viewer's dialogue with them (hidden or not), if they have one."""
    return {
        "id": user.id,
        "username": user.username,
        "nickname": user.nickname,
        "is_guest": user.is_guest,
        "profile_picture": avatars.urls(user.avatar),
        "status": {
            "is_online": presence.is_online,
            "game_playing": presence.game_playing,
            "last_online": user.last_online,
        },
        "trophies": user.trophies,
        "is_friend": relationship.friendship_id is not None,
        "friend_request": _friend_request(relationship),
        "is_blocked": relationship.block_id is not None,
        "is_blocked_by": relationship.blocked_by,
        "chat_id": chat_id,
    }


def _friend_request(relationship: Relationship) -> str | None:
    if relationship.sent_request_id is not None:
        return "sent"
    if relationship.received_request_id is not None:
        return "received"
    return None
