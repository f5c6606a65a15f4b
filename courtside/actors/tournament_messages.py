"""What the outside exchanges with a tournament actor: its timing and its requests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from .handle import Reply
from .lobby_messages import Person

Instance = dict[str, Any]


@dataclass(frozen=True, slots=True)
class TournamentTiming:
    countdown: float = 20.0  # from 80 % full to the start; a leave cancels it
    start_ratio: float = 0.8
    bracket_view: float = 3.0  # between tournament-start and the first matches
    round_cap: float = 600.0  # DESIGN.md §8: 10 minutes per round


class JoinTournament(msgspec.Struct, frozen=True):
    person: Person
    alias: str
    blocked_by: frozenset[int]
    reply: Reply[Instance]


class LeaveTournament(msgspec.Struct, frozen=True):
    user_id: int
    reply: Reply[None]


class ShowTournament(msgspec.Struct, frozen=True):
    user_id: int
    reply: Reply[Instance]


class LookAtTournament(msgspec.Struct, frozen=True):
    """The TournamentInstance, for a participant or, when the tournament is public, anyone."""

    viewer_id: int
    reply: Reply[Instance]


class BanFromTournament(msgspec.Struct, frozen=True):
    by_id: int
    user_id: int
    reply: Reply[None]


class InviteToTournament(msgspec.Struct, frozen=True):
    by_id: int
    user_id: int
    reply: Reply[None]


class SayInTournament(msgspec.Struct, frozen=True):
    user_id: int
    content: str
    reply: Reply[Instance]


class TournamentMatchEnded(msgspec.Struct, frozen=True):
    """From a tournament match's record hook: its result, for the bracket."""

    code: str
    winning_team: str | None
    score_a: int
    score_b: int
    reason: str
