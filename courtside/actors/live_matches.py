"""The matches in progress on this node, as GET /api/game/live/ lists them.

Each match keeps its own line current (at creation, at each phase change and
goal) and takes it out once its record is written, so listing them asks no actor
anything: a page costs a sort of the lines, not a request to every match. Between
the final whistle and the record the line stays, in phase ``finished`` or
``aborted``: a match is always either here or in the database. Shutdown reads it
too, to wait for the matches under way to end.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec
import trio

Phase = Literal["waiting", "countdown", "playing", "paused", "finished", "aborted"]
ENDED: tuple[Phase, ...] = ("finished", "aborted")


class LiveMatch(msgspec.Struct, frozen=True):
    """What spectators are shown of a match in progress."""

    code: str
    game_mode: str
    players: tuple[int, ...]  # team a, then team b, each in paddle order
    team_size: int
    score_to_win: int
    score_a: int
    score_b: int
    phase: Phase
    private: bool
    started_at: datetime | None  # when play began, after the countdown
    # Once it ended, before its record is written: how (players heard game_ended).
    reason: str | None = None
    winning_team: str | None = None


class LiveMatches:
    """Written only by each match about itself; read by the HTTP layer."""

    def __init__(self) -> None:
        self._by_code: dict[str, LiveMatch] = {}
        self._removed = trio.Event()  # set, and replaced, at each removal

    def show(self, match: LiveMatch) -> None:
        self._by_code[match.code] = match

    def remove(self, code: str) -> None:
        if self._by_code.pop(code, None) is not None:
            self._removed.set()
            self._removed = trio.Event()

    def get(self, code: str) -> LiveMatch | None:
        return self._by_code.get(code)

    def public(self) -> list[LiveMatch]:
        """The public matches in progress here."""
        return [match for match in self._by_code.values()
                if not match.private and match.phase not in ENDED]

    def under_way(self) -> set[str]:
        """Codes of the matches past waiting for their players."""
        return {code for code, match in self._by_code.items() if match.phase != "waiting"}

    async def until_ended(self, codes: set[str]) -> None:
        """Return once none of ``codes`` is in progress any more."""
        while not codes.isdisjoint(self._by_code):
            await self._removed.wait()
