"""Wiring of the match engine: tick shard, game port, queues."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import trio

from courtside.actors import (
    Bus,
    Engagements,
    LiveMatches,
    Match,
    MatchRecorder,
    Matchmaker,
    MatchSpec,
    MatchTiming,
    REMATCH,
    Registry,
    Rematches,
    Restart,
    Supervisor,
    TickShard,
)
from courtside.actors.match_messages import MatchRecord
from courtside.actors.tournament import report_result
from courtside.cluster.placement import HOST, MatchHost, Placement
from courtside.http import Metrics, TokenSigner
from courtside.http.connection_limits import ConnectionsPerIp
from courtside.http.game_port import GamePort
from courtside.persistence import Database

from .config import Config

log = logging.getLogger(__name__)

QUEUE_MODES = ("duel", "ranked")


@dataclass(frozen=True, slots=True)
class Games:
    shard: TickShard
    live_matches: LiveMatches
    game_port: GamePort
    ws_url: Callable[[str], str]
    # How lobbies, tournaments and invitations start a match, as the matchmakers
    # do: on the least-loaded node, answering its ws_url; a tournament also passes
    # report_to, its name, to hear the result.
    start_match: Callable[..., Awaitable[str]]

    @property
    def game_url(self) -> str:
        """ws://host:port of this node's game listener, as its ws_urls name it."""
        return self.ws_url("").removesuffix("/ws/game//")

    async def let_matches_finish(self, grace_seconds: float) -> None:
        """Shutdown (DESIGN.md §7): matches under way get ``grace_seconds`` to end on
        their own, their sockets still open; stopping the supervisor then aborts and
        records the rest. Matches still waiting for their players are not waited for."""
        under_way = self.live_matches.under_way()
        if not under_way:
            return
        log.info("letting %d matches finish, for up to %g s", len(under_way), grace_seconds)
        with trio.move_on_after(grace_seconds):
            await self.live_matches.until_ended(under_way)


async def start_games(
    config: Config,
    nursery: trio.Nursery,
    *,
    supervisor: Supervisor,
    registry: Registry,
    database: Database,
    tokens: TokenSigner,
    metrics: Metrics,
    bus: Bus,
    engagements: Engagements,
    placement: Placement,
    per_ip: ConnectionsPerIp,
) -> Games:
    shard = TickShard(config.tick_rate, observe_lateness=metrics.tick_lateness.observe)
    metrics.count_skipped_ticks(lambda: shard.skipped_ticks)
    await nursery.start(shard.run)
    game_port = GamePort(
        host=config.host, port=config.game_port_number,
        registry=registry, database=database, tokens=tokens, per_ip=per_ip,
        locate=placement.ws_url_of,
    )
    await nursery.start(game_port.run)
    timing = MatchTiming(
        seat_timeout=config.seat_timeout_seconds,
        ready_timeout=config.ready_timeout_seconds,
        grace=config.grace_seconds,
        tick_rate=config.tick_rate,
        broadcast_rate=config.broadcast_rate,
    )
    record = MatchRecorder(database)
    metrics.count_match_records(retries=lambda: record.retries, lost=lambda: record.lost)
    live_matches = LiveMatches()

    ws_url = functools.partial(game_port.ws_url, config.advertised_host)

    async def record_and_report(match_record: MatchRecord, report_to: str | None) -> None:
        try:
            await record(match_record)
        finally:
            await placement.recorded(match_record.spec.code)
            if report_to is not None:
                await report_result(bus, report_to, match_record)

    async def start_here(spec: MatchSpec, report_to: str | None) -> str:
        """Host the match on this node; its ws_url names this node's game port."""
        name = f"match:{spec.code}"
        await bus.claim(name)  # a new code: nobody else holds it
        await placement.placed_here(spec, report_to)
        # A match is never restarted: if it fails it ends as aborted and says so.
        await supervisor.start(
            lambda: Match(
                spec, shard=shard, engagements=engagements, live_matches=live_matches, bus=bus,
                record=functools.partial(record_and_report, report_to=report_to), timing=timing,
            ),
            name=name,
            restart=Restart.NEVER,
            on_exit=lambda name, crashed: bus.release(name),
        )
        return ws_url(spec.code)

    async def start_match(spec: MatchSpec, report_to: str | None = None) -> str:
        """Start the match on the least-loaded node; its ws_url. ``report_to`` names the
        actor (a tournament) that hears the result once it is recorded."""
        return await placement.start(spec, start_here, report_to)

    async def record_dead_nodes_match(name: str) -> None:
        """The node hosting this match died: it ends as aborted, recorded here."""
        aborted = await placement.aborted(name.removeprefix("match:"))
        if aborted is not None:
            await record_and_report(*aborted)

    bus.take_over("match", record_dead_nodes_match)
    await supervisor.start(lambda: MatchHost(start_here, live_matches, ws_url), name=HOST,
                           restart=Restart.ON_FAILURE)
    return Games(shard, live_matches, game_port, ws_url, start_match)


async def start_matchmaking(
    games: Games, *, supervisor: Supervisor, bus: Bus, engagements: Engagements
) -> None:
    """The cluster's one matchmaker per mode and its rematches: here, unless a live
    node runs them (then here once that node dies)."""
    actors = {f"queue:{mode}": functools.partial(Matchmaker, mode) for mode in QUEUE_MODES}
    actors[REMATCH] = Rematches
    for name, actor in actors.items():
        factory = functools.partial(actor, engagements=engagements, bus=bus,
                                    start_match=games.start_match)
        await bus.singleton(name, functools.partial(
            supervisor.start, factory, name=name, restart=Restart.ON_FAILURE, vital=True,
        ))
