"""Kick-off of a friendly match between players who are free now: rematches, invitations.

The players move into ``match:<code>`` in one step (all or none: ``Busy`` says who
is engaged elsewhere), the match starts under the supervisor, and each player gets
``game-start`` with the full ``ws_url``, as from a queue or a lobby.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from .bus import Bus
from .engagements import Engagements
from .match_messages import MatchSpec
from .matchmaker import new_match_code


class Kickoff:
    def __init__(
        self,
        *,
        engagements: Engagements,
        bus: Bus,
        start_match: Callable[[MatchSpec], Awaitable[str]],  # answers its ws_url
    ) -> None:
        self._engagements = engagements
        self._bus = bus
        self._start_match = start_match

    async def __call__(
        self, mode: str, team_a: tuple[int, ...], team_b: tuple[int, ...], score_to_win: int
    ) -> tuple[MatchSpec, str]:
        """The started match and its ws_url; Busy, with nobody engaged, if a player is elsewhere."""
        spec = MatchSpec(code=new_match_code(), mode=mode, team_a=team_a, team_b=team_b,
                         seed=secrets.randbits(63), score_to_win=score_to_win)
        engagement = f"match:{spec.code}"
        await self._engagements.claim(spec.players, engagement)
        try:
            ws_url = await self._start_match(spec)
        except BaseException:
            for user_id in spec.players:
                await self._engagements.release(user_id, engagement)
            raise
        for team, opponents in ((spec.team_a, spec.team_b), (spec.team_b, spec.team_a)):
            for user_id in team:
                self._bus.publish_to_user(user_id, "game-start", {
                    "code": spec.code, "game_mode": spec.mode, "opponent_id": opponents[0],
                    "team_a": list(spec.team_a), "team_b": list(spec.team_b), "ws_url": ws_url,
                })
        return spec, ws_url
