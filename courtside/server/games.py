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
from courtside.http import Metrics, TokenSigner
from courtside.http.game_port import GamePort
from courtside.persistence import Database

from .config import Config

log = logging.getLogger(__name__)

QUEUE_MODES = ("duel", "ranked")
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")


@dataclass(frozen=True, slots=True)
class Games:
    shard: TickShard
    live_matches: LiveMatches
    game_port: GamePort
    ws_url: Callable[[str], str]
    # How lobbies, tournaments and invitations start a match, as the matchmakers
    # do; a tournament also passes on_recorded to hear the result.
    start_match: Callable[..., Awaitable[None]]

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
) -> Games:
    shard = TickShard(config.tick_rate, observe_lateness=metrics.tick_lateness.observe)
    metrics.count_skipped_ticks(lambda: shard.skipped_ticks)
    await nursery.start(shard.run)
    game_port = GamePort(
        host=config.host, port=config.game_port_number,
        registry=registry, database=database, tokens=tokens,
    )
    await nursery.start(game_port.run)
    timing = MatchTiming(
        ready_timeout=config.ready_timeout_seconds,
        grace=config.grace_seconds,
        tick_rate=config.tick_rate,
        broadcast_rate=config.broadcast_rate,
    )
    record = MatchRecorder(database)
    metrics.count_match_records(retries=lambda: record.retries, lost=lambda: record.lost)
    live_matches = LiveMatches()

    async def start_match(
        spec: MatchSpec, on_recorded: Callable[[MatchRecord], None] | None = None
    ) -> None:
        """``on_recorded`` hears the record once it is written (or failed to be): never
        await in it, and look the listener up then, as it may have restarted meanwhile."""

        async def record_then_report(match_record: MatchRecord) -> None:
            try:
                await record(match_record)
            finally:
                if on_recorded is not None:
                    on_recorded(match_record)

        # A match is never restarted: if it fails it ends as aborted and says so.
        await supervisor.start(
            lambda: Match(
                spec, shard=shard, engagements=engagements, live_matches=live_matches, bus=bus,
                record=record_then_report, timing=timing,
            ),
            name=f"match:{spec.code}",
            restart=Restart.NEVER,
        )

    host = "localhost" if config.host in _WILDCARD_HOSTS else config.host
    ws_url = functools.partial(game_port.ws_url, host)
    for mode in QUEUE_MODES:
        await supervisor.start(
            functools.partial(
                Matchmaker, mode,
                engagements=engagements, bus=bus, start_match=start_match, ws_url=ws_url,
            ),
            name=f"queue:{mode}",
            restart=Restart.ON_FAILURE,
            vital=True,
        )
    await supervisor.start(
        functools.partial(
            Rematches, engagements=engagements, bus=bus, start_match=start_match, ws_url=ws_url,
        ),
        name=REMATCH,
        restart=Restart.ON_FAILURE,
        vital=True,
    )
    return Games(shard, live_matches, game_port, ws_url, start_match)
