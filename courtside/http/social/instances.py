"""The reference's instances of the social graph, as responses and events show them.

SmallUserInstance, which the reference leaves undefined, is a user's id, names,
avatar and status: what a list needs to draw a row and the friends list needs to
put the online first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from courtside.actors import UserPresence
from courtside.persistence import AvatarStore, Block, FriendRequest, Friendship, Person

from ..responses import Shown, page_of
from ..services import services

# For someone who joined a list after its presence was read (a friend made
# meanwhile): shown offline until the next read.
_NOT_SEEN = UserPresence(is_online=False, game_playing=None)


class UserStatus(Shown):
    is_online: bool
    game_playing: str | None  # the code of the match they play
    last_online: datetime | None


class UserInstance(Shown):
    """The reference's SmallUserInstance (the OpenAPI document's; ``user`` renders it)."""

    id: int
    username: str
    nickname: str
    is_guest: bool
    profile_picture: dict[str, str]
    status: UserStatus


class FriendInstance(Shown):
    """A friendship seen by the caller; its id is the accepted request's."""

    id: int
    friend: UserInstance
    friend_wins: int
    me_wins: int
    friends_since: datetime
    matches_played_against: int
    matches_played_together: int
    matches_won_together: int


class FriendRequestInstance(Shown):
    id: int
    sender: UserInstance
    receiver: UserInstance
    send_at: datetime


class BlockedInstance(Shown):
    id: int
    blocked: UserInstance
    blocked_at: datetime


FriendsPage = page_of(FriendInstance)


class Instances:
    """Renders the records of one response; everyone in it had their presence asked once."""

    def __init__(self, presence: Mapping[int, UserPresence], avatars: AvatarStore) -> None:
        self._presence = presence
        self._avatars = avatars

    @classmethod
    async def of(cls, people: Iterable[Person]) -> Instances:
        svc = services()
        return cls(await svc.bus.presence({person.id for person in people}), svc.avatars)

    def user(self, person: Person) -> dict[str, Any]:
        presence = self._presence.get(person.id, _NOT_SEEN)
        return {
            "id": person.id,
            "username": person.username,
            "nickname": person.nickname,
            "is_guest": person.is_guest,
            "profile_picture": self._avatars.urls(person.avatar),
            "status": {
                "is_online": presence.is_online,
                "game_playing": presence.game_playing,
                "last_online": person.last_online,
            },
        }

    def friend_request(self, request: FriendRequest) -> dict[str, Any]:
        return {
            "id": request.id,
            "sender": self.user(request.sender),
            "receiver": self.user(request.receiver),
            "send_at": request.sent_at,
        }

    def friend(self, friendship: Friendship) -> dict[str, Any]:
        return {
            "id": friendship.id,
            "friend": self.user(friendship.friend),
            "friend_wins": friendship.friend_wins,
            "me_wins": friendship.me_wins,
            "friends_since": friendship.since,
            "matches_played_against": friendship.played_against,
            "matches_played_together": friendship.played_together,
            "matches_won_together": friendship.won_together,
        }

    def blocked(self, block: Block) -> dict[str, Any]:
        return {"id": block.id, "blocked": self.user(block.blocked), "blocked_at": block.blocked_at}
