"""What the outside exchanges with a lobby actor: who joins, and the requests it answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from .handle import Reply

GameMode = Literal["clash", "custom_game"]
MatchType = Literal["1v1", "3v3"]
LobbyTeam = Literal["a", "b", "spectator"]

Instance = dict[str, Any]


class Person(msgspec.Struct, frozen=True):
    """A user as a lobby shows them (the reference's SmallUserInstance, without presence:
    a lobby's events go out at the moment of the change, with nobody's presence at hand)."""

    id: int
    username: str
    nickname: str
    is_guest: bool
    profile_picture: dict[str, str]


class Member(msgspec.Struct):
    """A participant as the lobby keeps them; mutable, and private to the lobby."""

    person: Person
    team: LobbyTeam
    join_at: datetime
    is_ready: bool = False


class Settings(msgspec.Struct, frozen=True):
    game_mode: GameMode
    match_type: MatchType
    score_to_win: int


class Join(msgspec.Struct, frozen=True):
    person: Person
    # Who has blocked the joiner: a lobby whose creator is one of them is not found.
    blocked_by: frozenset[int]
    reply: Reply[Instance]


class LeaveLobby(msgspec.Struct, frozen=True):
    user_id: int
    reply: Reply[None]


class Show(msgspec.Struct, frozen=True):
    """The LobbyInstance, for a member."""

    user_id: int
    reply: Reply[Instance]


class ChangeSettings(msgspec.Struct, frozen=True):
    user_id: int
    match_type: MatchType | None
    score_to_win: int | None
    reply: Reply[Instance]


class ChangeSelf(msgspec.Struct, frozen=True):
    user_id: int
    is_ready: bool | None
    team: LobbyTeam | None
    reply: Reply[Instance]


class Ban(msgspec.Struct, frozen=True):
    by_id: int
    user_id: int
    reply: Reply[None]


class Invite(msgspec.Struct, frozen=True):
    by_id: int
    user_id: int
    reply: Reply[None]


class Say(msgspec.Struct, frozen=True):
    user_id: int
    content: str  # already through clean_content
    reply: Reply[Instance]
