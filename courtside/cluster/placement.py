"""Where a match plays: on the least-loaded live node (DESIGN.md §10).

Whoever starts a match (a matchmaker, a lobby, a tournament, an invitation, a
rematch) asks ``Placement.start``; the match goes to the live node with the
fewest matches, counting those this node placed in the last two heartbeats (which
that node's own heartbeat may not show yet), so a burst of pairings does not pile
onto one node. That node's MatchHost starts it
and answers with the ws_url naming its own game port. A match never spans
processes: when its node dies, a survivor records it as aborted (``aborted``)
and its players are free again.
"""

from __future__ import annotations

import logging
import pickle
from collections import Counter, deque
from collections.abc import Awaitable, Callable

import msgspec
import trio

from courtside.actors.handle import ActorGone, Inbox, MailboxFull, Overflow, Reply, RequestTimeout
from courtside.actors.match_messages import MatchRecord, MatchSpec, Outcome
from courtside.actors.input_log import InputLog
from courtside.actors.live_matches import LiveMatch, LiveMatches
from courtside.persistence import Database
from courtside.persistence.cluster import HEARTBEAT_SECONDS
from courtside.persistence.leases import Leases
from courtside.persistence.placed_matches import PlacedMatches

from .membership import Membership
from .remote import RemoteCalls, RemoteHandle

log = logging.getLogger(__name__)

HOST = "match-host"
PLACE_TIMEOUT = 5.0
LIST_TIMEOUT = 2.0  # a listing goes on without a node slower than this
# Placements younger than this may be missing from their node's last heartbeat.
RECENT_SECONDS = 2 * HEARTBEAT_SECONDS

StartHere = Callable[[MatchSpec, str | None], Awaitable[str]]


class StartMatch(msgspec.Struct, frozen=True):
    spec: MatchSpec
    report_to: str | None
    reply: Reply[str]


class DescribeMatch(msgspec.Struct, frozen=True):
    code: str
    reply: Reply[tuple[LiveMatch, str] | None]


class ListPublicMatches(msgspec.Struct, frozen=True):
    reply: Reply[list[tuple[LiveMatch, str]]]


class MatchHost:
    """This node's door for matches other nodes place on it, or ask about."""

    def __init__(self, start_here: StartHere, live_matches: LiveMatches,
                 ws_url: Callable[[str], str]) -> None:
        self._start_here = start_here
        self._live_matches = live_matches
        self._ws_url = ws_url

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(1024, Overflow.REJECT, name=HOST) as inbox:
            task_status.started(inbox.handle)
            async for message in inbox:
                match message:
                    case StartMatch(spec=spec, report_to=report_to, reply=reply):
                        try:
                            reply.send(await self._start_here(spec, report_to))
                        except Exception as failed:
                            reply.fail(failed)
                    case DescribeMatch(code=code, reply=reply):
                        live = self._live_matches.get(code)
                        reply.send(None if live is None else (live, self._ws_url(code)))
                    case ListPublicMatches(reply=reply):
                        reply.send([(m, self._ws_url(m.code)) for m in self._live_matches.public()])


class Placement:
    def __init__(self, database: Database, membership: Membership, calls: RemoteCalls) -> None:
        self._placed = PlacedMatches(database)
        self._leases = Leases(database)
        self._membership = membership
        self._calls = calls
        self._recent: deque[tuple[float, int]] = deque()  # (when, node) of our placements

    async def start(self, spec: MatchSpec, start_here: StartHere, report_to: str | None = None) -> str:
        """Start the match on the least-loaded live node; its ws_url. ``report_to``
        names the actor that hears the result (a tournament)."""
        target = self._least_loaded()
        if target != self._membership.node_id:
            try:
                return await RemoteHandle(self._calls, target, HOST).request(
                    lambda reply: StartMatch(spec, report_to, reply), timeout=PLACE_TIMEOUT
                )
            except (ActorGone, MailboxFull, RequestTimeout) as why:
                log.warning("node %d could not take match %s (%r): it plays here", target,
                            spec.code, why)
        return await start_here(spec, report_to)

    def _least_loaded(self) -> int:
        now = trio.current_time()
        while self._recent and self._recent[0][0] < now - RECENT_SECONDS:
            self._recent.popleft()
        recent = Counter(node_id for _, node_id in self._recent)
        me = self._membership.node_id
        load = {node.id: node.live_matches + recent[node.id] for node in self._membership.live}
        load.setdefault(me, recent[me])
        target = min(load, key=lambda node_id: (load[node_id], node_id != me, node_id))
        self._recent.append((now, target))
        return target

    async def running_elsewhere(self, code: str) -> tuple[LiveMatch, str] | None:
        """The match ``code`` as the live node hosting it sees it now, and its ws_url."""
        owner = await self._leases.owner(f"match:{code}")
        if owner is None or owner == self._membership.node_id:
            return None
        try:
            return await RemoteHandle(self._calls, owner, HOST).request(
                lambda reply: DescribeMatch(code, reply), timeout=PLACE_TIMEOUT
            )
        except (ActorGone, MailboxFull, RequestTimeout):
            return None

    async def public_elsewhere(self) -> list[tuple[LiveMatch, str]]:
        """The public matches in progress on every other live node, with their ws_urls,
        asked of all at once; a node that does not answer in time is left out."""
        found: list[tuple[LiveMatch, str]] = []

        async def ask(node_id: int) -> None:
            try:
                found.extend(await RemoteHandle(self._calls, node_id, HOST).request(
                    ListPublicMatches, timeout=LIST_TIMEOUT))
            except (ActorGone, MailboxFull, RequestTimeout) as why:
                log.warning("node %d did not list its matches (%r)", node_id, why)

        async with trio.open_nursery() as nursery:
            for node in self._membership.live:
                if node.id != self._membership.node_id:
                    nursery.start_soon(ask, node.id)
        return found

    async def ws_url_of(self, code: str) -> str | None:
        """Where the match ``code`` plays, if on another live node."""
        owner = await self._leases.owner(f"match:{code}")
        node = next((n for n in self._membership.live if n.id == owner), None)
        if node is None or owner == self._membership.node_id:
            return None
        return f"{node.game_url}/ws/game/{code}/"

    async def placed_here(self, spec: MatchSpec, report_to: str | None) -> None:
        """Write down a match this node hosts, so a survivor can record it if we die."""
        await self._placed.place(spec.code, self._membership.node_id,
                                 pickle.dumps(spec, pickle.HIGHEST_PROTOCOL), report_to)

    async def recorded(self, code: str) -> None:
        with trio.CancelScope(shield=True):
            await self._placed.recorded(code)

    async def aborted(self, code: str) -> tuple[MatchRecord, str | None] | None:
        """The record of a match whose node died (aborted), and who hears of it; None
        if it was recorded meanwhile."""
        placed = await self._placed.get(code)
        if placed is None:
            return None
        spec: MatchSpec = pickle.loads(placed[0])
        return MatchRecord(spec=spec, outcome=Outcome("aborted", None, 0, 0), started_at=None,
                           duration_seconds=0.0, own_goals={},
                           inputs=InputLog(len(spec.players))), placed[1]
