"""Lobbies follow their members' presence, as the reference's lobbies do.

A member whose last live connection closes gets ``grace_seconds`` to come back
(a reload, a network that drops). Still away then and still in the lobby, they
leave it as if they had asked: the others hear ``lobby-leave``, and a creator's
lobby passes to the next member or closes. Someone whose lobby started its match
meanwhile is in the match, not the lobby, and stays there: presence never ends
a match (its own reconnection grace does, DESIGN.md §6).

The cluster's presence tells this node's actor when a user's last connection
anywhere closed (``tell_lobbies_offline``, wired in server/node.py), also when
their node died. Coming back needs no word: when the grace ends, the member's
presence is read again, across the cluster. A restarted incarnation of this
actor has forgotten who was away; they stay in their lobbies until they leave
the site again.
"""

from __future__ import annotations

import functools
import logging
import math

import msgspec
import trio

from courtside.protocol import ApiError

from .bus import Bus
from .engagements import Engagements
from .handle import ActorGone, Inbox, MailboxFull, Overflow
from .lobbies import ask_lobby, lobby_code_of
from .lobby import not_in_lobby
from .lobby_messages import LeaveLobby
from .registry import Registry

log = logging.getLogger(__name__)

AWAY_FROM_LOBBIES = "lobbies:away"
INBOX_CAPACITY = 4096


class WentOffline(msgspec.Struct, frozen=True):
    user_id: int


def tell_lobbies_offline(registry: Registry, user_id: int) -> None:
    """Tell the actor that the user's last connection closed; never blocks, never raises
    (a word lost keeps a member in their lobby, which they can still leave)."""
    handle = registry.lookup(AWAY_FROM_LOBBIES)
    try:
        if handle is None:
            raise ActorGone(AWAY_FROM_LOBBIES)
        handle.send_nowait(WentOffline(user_id))
    except (ActorGone, MailboxFull) as why:
        log.warning("user %s went offline unheard by lobbies: %r", user_id, why)


class AwayFromLobbies:
    """Start with ``supervisor.start(..., name=AWAY_FROM_LOBBIES)``."""

    def __init__(self, *, engagements: Engagements, bus: Bus, grace_seconds: float) -> None:
        self._engagements = engagements
        self._bus = bus
        self._grace = grace_seconds
        # When each away member's grace ends. The grace is the same for all, so
        # insertion order is deadline order: the first entry is always due first.
        self._due: dict[int, float] = {}

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(INBOX_CAPACITY, Overflow.REJECT, name=AWAY_FROM_LOBBIES) as inbox:
            task_status.started(inbox.handle)
            while True:
                with trio.move_on_at(self._next_due()):
                    match await inbox.receive():
                        case WentOffline(user_id):
                            await self._away(user_id)
                    continue
                await self._leave(self._take_due())

    async def _away(self, user_id: int) -> None:
        if await lobby_code_of(self._engagements, user_id) is None:
            return  # in no lobby: nothing to leave
        # Gone again after coming back: the grace runs from this departure.
        self._due.pop(user_id, None)
        self._due[user_id] = trio.current_time() + self._grace

    def _next_due(self) -> float:
        return next(iter(self._due.values()), math.inf)

    def _take_due(self) -> list[int]:
        now = trio.current_time()
        due = []
        while self._due and self._next_due() <= now:
            user_id = next(iter(self._due))
            del self._due[user_id]
            due.append(user_id)
        return due

    async def _leave(self, user_ids: list[int]) -> None:
        presence = await self._bus.presence(user_ids)
        for user_id in user_ids:
            code = await lobby_code_of(self._engagements, user_id)
            if code is None or presence[user_id].is_online:
                continue  # back in time, or the lobby's match took them in
            try:
                await ask_lobby(self._bus, code, functools.partial(LeaveLobby, user_id),
                                missing=not_in_lobby())
            except ApiError as refused:
                # The lobby closed or let them go meanwhile, or is too busy to hear it.
                log.info("user %s away, not taken out of lobby %s: %r", user_id, code, refused)
