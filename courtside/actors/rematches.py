"""Rematch offers (``rematch``): the players of a finished match ask for another.

The first to ask invites the others (``invite-1v1``/``invite-3v3``/``invite-clash``
with ``rematch: true``); once every player of the match has asked, the new match
starts at once, with the same teams and score, and everyone gets ``game-start``.
An offer lapses REMATCH_EXPIRY seconds after the first ask. Offers live in memory
only: a restarted actor starts with none, and players simply ask again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import trio

from courtside.protocol import Conflict

from .bus import Bus
from .engagements import Busy, Engagements, already_engaged, place
from .handle import Inbox, Overflow, Reply
from .kickoff import Kickoff
from .match_messages import MatchSpec

REMATCH = "rematch"
REMATCH_EXPIRY = 300.0  # as invitations (DESIGN.md §8)
MAX_OFFERS = 10_000
# A rematch is a friendly: ranked and tournament results come only from their queues.
REMATCH_MODE = {"ranked": "duel", "tournament": "duel"}


class AskRematch(msgspec.Struct, frozen=True):
    code: str  # the finished match
    mode: str
    score_to_win: int
    team_a: tuple[int, ...]
    team_b: tuple[int, ...]
    user_id: int
    username: str
    reply: Reply[dict[str, Any]]


@dataclass
class _Offer:
    expires_at: float
    asked: set[int] = field(default_factory=set)


class Rematches:
    def __init__(
        self,
        *,
        engagements: Engagements,
        bus: Bus,
        start_match: Callable[[MatchSpec], Awaitable[str]],  # answers its ws_url
    ) -> None:
        self._engagements = engagements
        self._bus = bus
        self._kickoff = Kickoff(engagements=engagements, bus=bus, start_match=start_match)
        self._offers: dict[str, _Offer] = {}

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(256, Overflow.REJECT, name=REMATCH) as inbox:
            task_status.started(inbox.handle)
            async for message in inbox:
                if isinstance(message, AskRematch):
                    try:
                        message.reply.send(await self._ask(message))
                    except Conflict as refused:
                        message.reply.fail(refused)

    async def _ask(self, ask: AskRematch) -> dict[str, Any]:
        now = trio.current_time()
        self._offers = {code: o for code, o in self._offers.items() if o.expires_at > now}
        engaged = await self._engagements.of(ask.user_id)
        if engaged is not None:
            raise already_engaged(engaged)
        offer = self._offers.get(ask.code)
        if offer is None:
            if len(self._offers) >= MAX_OFFERS:
                raise Conflict("Too many rematches are waiting; try again soon.", code="rematch_busy")
            offer = self._offers[ask.code] = _Offer(now + REMATCH_EXPIRY)
        offer.asked.add(ask.user_id)
        players = ask.team_a + ask.team_b
        if not offer.asked.issuperset(players):
            kind = "clash" if ask.mode == "clash" else f"{len(ask.team_a)}v{len(ask.team_a)}"
            waiting = [user_id for user_id in players if user_id not in offer.asked]
            self._bus.publish(waiting, f"invite-{kind}", {"code": ask.code, "rematch": True},
                              {"username": ask.username, "code": ask.code})
            return {"status": "invited", "code": ask.code}
        try:
            spec, ws_url = await self._kickoff(
                REMATCH_MODE.get(ask.mode, ask.mode), ask.team_a, ask.team_b, ask.score_to_win
            )
        except Busy as busy:
            # The offer stands: the busy player may ask again once free.
            raise Conflict(f"Another player is already in {place(busy.engagement, with_code=False)};"
                           " ask again once they are free.", code="opponent_engaged") from None
        del self._offers[ask.code]
        return {"status": "started", "code": spec.code, "ws_url": ws_url}
