"""What the outside exchanges with a match actor: its spec and timing, the
messages its inbox takes, the connection it drives, and the record it leaves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import msgspec

from courtside.protocol.game_messages import (
    ClientMessage,
    EndReason,
    Frames,
    ServerMessage,
    Welcome,
)

from .handle import Reply
from .input_log import InputLog

Team = Literal["a", "b"]


class PeerConnection(Protocol):
    """A game socket as the match sees it (the game port implements it)."""

    user_id: int
    closed: bool

    def send_frames(self, frames: Frames) -> None: ...
    def send(self, message: ServerMessage) -> None: ...
    def receive_nowait(self) -> list[ClientMessage]: ...
    def hand_over(self) -> None: ...
    def close(self, code: int, reason: str = "") -> None: ...


class JoinRefused(Exception):
    def __init__(self, close_code: int, reason: str) -> None:
        super().__init__(reason)
        self.close_code = close_code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MatchTiming:
    # A seat nobody took within seat_timeout ends the match unplayed (aborted): its
    # players were handed a ws_url and never came, and must be free to play again.
    seat_timeout: float = 15.0
    ready_timeout: float = 30.0
    countdown: float = 3.0
    grace: float = 10.0
    tick_rate: int = 60
    broadcast_rate: int = 60


@dataclass(frozen=True, slots=True)
class MatchSpec:
    code: str
    mode: str
    team_a: tuple[int, ...]
    team_b: tuple[int, ...]
    seed: int
    score_to_win: int = 5
    tournament: bool = False
    private: bool = False
    # Seconds of play before the clock ends the match (a tournament round's cap):
    # the score decides, a tie goes to the first goal, a goalless one to team a.
    time_cap: float | None = None

    @property
    def players(self) -> tuple[int, ...]:
        return self.team_a + self.team_b


@dataclass(frozen=True, slots=True)
class Outcome:
    reason: EndReason
    winning_team: Team | None
    score_a: int
    score_b: int


@dataclass(slots=True)
class MatchRecord:
    """Everything the end-of-match transaction writes."""

    spec: MatchSpec
    outcome: Outcome
    started_at: datetime | None
    duration_seconds: float
    own_goals: dict[int, int]
    inputs: InputLog


# Inbox messages: from the game port, and from tick() to the actor's own task.
class Join(msgspec.Struct, frozen=True):
    connection: PeerConnection
    reply: Reply[Welcome]


class Ready(msgspec.Struct, frozen=True):
    user_id: int


class Leave(msgspec.Struct, frozen=True):
    """report_left before the match plays: a forfeit."""

    user_id: int


class Gone(msgspec.Struct, frozen=True):
    """A connection closed; from the handler, or from tick() while playing."""

    connection: PeerConnection
