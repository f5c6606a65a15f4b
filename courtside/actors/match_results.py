"""The end of a match: one transaction writes its record, stats, trophies and replay."""

from __future__ import annotations

import logging

import trio

from courtside.persistence import Database, UniqueViolation
from courtside.persistence.matches import FinishedMatch, MatchResults, PlayerResult

from .elo import rating_changes
from .match_messages import MatchRecord
from .retrying import ATTEMPTS, retrying

log = logging.getLogger(__name__)


def finished_match(record: MatchRecord) -> FinishedMatch:
    spec, outcome = record.spec, record.outcome
    seats = [(user_id, "a") for user_id in spec.team_a] + [(user_id, "b") for user_id in spec.team_b]
    players = tuple(
        PlayerResult(
            user_id=user_id,
            team=team,
            slot=slot,
            goals=outcome.score_a if team == "a" else outcome.score_b,
            own_goals=record.own_goals.get(slot, 0),
            won=None if outcome.winning_team is None else team == outcome.winning_team,
        )
        for slot, (user_id, team) in enumerate(seats)
    )
    return FinishedMatch(
        code=spec.code,
        mode=spec.mode,
        team_size=len(spec.team_a),
        score_to_win=spec.score_to_win,
        score_a=outcome.score_a,
        score_b=outcome.score_b,
        winning_team=outcome.winning_team,
        reason=outcome.reason,
        started_at=record.started_at,
        duration_seconds=record.duration_seconds,
        players=players,
        seed=spec.seed,
        inputs=record.inputs.to_msgpack(),
    )


class MatchRecorder:
    """Writes finished matches; ranked 1v1 results move trophies (Elo, DESIGN.md §8).

    A write that fails is tried again with backoff (``retrying``);
    ``retries`` and ``lost`` count for /metrics, and a record given up on is logged
    with everything needed to enter it by hand, then raised.
    """

    def __init__(self, database: Database) -> None:
        self._database = database
        self.retries = 0
        self.lost = 0

    async def __call__(self, record: MatchRecord) -> None:
        # Encoding a long match's inputs takes a while (about 0.1 s per hour of play):
        # a worker thread, so that the tick shard keeps its deadlines meanwhile.
        match = await trio.to_thread.run_sync(finished_match, record)

        async def write(attempt: int) -> None:
            try:
                await self._write(record, match)
            except UniqueViolation as taken:
                if attempt == 1 or taken.constraint != "matches_code_key":
                    raise
                # An earlier try committed, only its answer was lost.

        try:
            await retrying(write, what=f"recording match {match.code}", on_retry=self._retried)
        except Exception:
            self.lost += 1
            log.error(
                "match %s lost after %d tries: %s, %s %d-%d, winner %s, players %s",
                match.code, ATTEMPTS, match.mode, match.reason, match.score_a,
                match.score_b, match.winning_team,
                [(player.user_id, player.team) for player in match.players],
            )
            raise

    def _retried(self) -> None:
        self.retries += 1

    async def _write(self, record: MatchRecord, match: FinishedMatch) -> None:
        async with self._database.transaction() as tx:
            results = MatchResults(tx)
            changes: dict[int, tuple[int, int]] = {}
            if match.mode == "ranked" and match.winning_team is not None:
                winner, loser = record.spec.team_a[0], record.spec.team_b[0]
                if match.winning_team == "b":
                    winner, loser = loser, winner
                before = await results.lock_trophies((winner, loser))
                after = rating_changes(before[winner], before[loser])
                changes = {winner: (before[winner], after[0]), loser: (before[loser], after[1])}
            await results.record(match, changes)
