"""The reference's lobby and tournament instances, as the OpenAPI document describes them.

The actors render these shapes as plain dicts (they go out in events too); the
types here are what clients read in /openapi.json.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec

from courtside.actors.lobby_messages import GameMode, LobbyTeam, MatchType

from ..responses import Shown

UNSET: Any = msgspec.UNSET


class LobbyParticipant(Shown):
    """The reference's LobbyParticipantInstance: a SmallUserInstance and their seat."""

    id: int
    username: str
    nickname: str
    is_guest: bool
    profile_picture: dict[str, str]
    creator: bool
    join_at: datetime
    is_ready: bool
    team: LobbyTeam | msgspec.UnsetType = UNSET  # custom games only


class LobbyInstance(Shown):
    id: int
    code: str
    participants: list[LobbyParticipant]
    is_full: bool
    max_participants: int
    created_at: datetime
    game_mode: GameMode
    match_type: MatchType
    score_to_win: int


class TournamentParticipant(Shown):
    """The reference's TournamentParticipantInstance, with the alias they play under."""

    id: int
    username: str
    nickname: str
    is_guest: bool
    profile_picture: dict[str, str]
    alias: str
    tournament: int
    stage: int | None  # the round they lost in
    seed: int | None
    still_in: bool
    creator: bool
    join_at: datetime


class BracketSlot(Shown):
    id: int
    position: int
    code: str | None  # the match's, once it started
    player_a: int | None
    player_b: int | None
    winner_id: int | None
    score_a: int | None
    score_b: int | None
    finish_reason: str | None
    started_at: datetime | None
    finished_at: datetime | None


class TournamentInstance(Shown):
    id: int
    name: str
    code: str
    size: int
    private: bool
    is_started: bool
    status: Literal["open", "running", "finished"]
    start_at: datetime | None
    created_at: datetime
    created_by: int
    winner_id: int | None
    chat_id: int | None
    participants: list[TournamentParticipant]
    # By round name (quarter-final, semi-final, final...), once the bracket is drawn.
    matches: dict[str, list[BracketSlot]] | msgspec.UnsetType = UNSET


class RecordedParticipant(Shown):
    """A participant in a tournament's public record: how they played, not who they are."""

    id: int
    username: str
    alias: str
    seed: int | None
    still_in: bool
    stage: int | None  # the round they lost in


class TournamentRecord(TournamentInstance, frozen=True):
    """A tournament's public record (``/api/game/tournaments/<id>/``)."""

    participants: list[RecordedParticipant]


class LobbySaid(Shown):
    """A message said in a lobby, as its other members hear it (``lobby-message``)."""

    id: int  # the speaker's user id
    content: str
    created_at: datetime


class TournamentSaid(LobbySaid, frozen=True):
    """A message said in a tournament (``tournament-message``), under the speaker's alias."""

    alias: str
