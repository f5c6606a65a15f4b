"""How a user is shown: to themselves (``me``) and to others.

Presence, notifications and relationships are filled in by the social graph
and chat once they exist; until then a user has no sockets (offline), no
friends and no unread chats, which is what these defaults say.
"""

from __future__ import annotations

from typing import Any

from courtside.persistence import AvatarStore, User


def me_profile(user: User, avatars: AvatarStore) -> dict[str, Any]:
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
        "notifications": {"friend_requests": 0, "chats": 0},
        "is_online": False,
        "last_online": user.last_online,
    }


def public_profile(user: User, avatars: AvatarStore) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "nickname": user.nickname,
        "is_guest": user.is_guest,
        "profile_picture": avatars.urls(user.avatar),
        "status": {"is_online": False, "game_playing": None, "last_online": user.last_online},
        "trophies": user.trophies,
        "is_friend": False,
        "friend_request": None,
        "is_blocked": False,
        "is_blocked_by": False,
        "chat_id": None,
    }
