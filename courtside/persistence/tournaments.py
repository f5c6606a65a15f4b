"""Tournaments: the row, its participants and bans, and the bracket with its results.

Everything a tournament actor decides is written here before it is told to anyone,
so a restarted actor rebuilds the same tournament from these tables (DESIGN.md §7).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import msgspec

from .database import Executor, UniqueViolation


class AlreadyHosting(Exception):
    """The creator already has an open or running tournament."""


class AliasTaken(Exception):
    """Another participant of the tournament goes by this alias."""


class TournamentRow(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    size: int
    private: bool
    created_by: int
    created_at: datetime
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    winner_id: int | None
    chat_id: int | None  # its group chat; None once that chat was deleted


class Participant(msgspec.Struct, frozen=True):
    user_id: int
    username: str
    nickname: str
    is_guest: bool
    avatar: str | None
    trophies: int
    alias: str
    seed: int | None
    joined_at: datetime
    still_in: bool
    eliminated_in: int | None


class BracketMatch(msgspec.Struct, frozen=True):
    id: int
    round: int
    position: int
    player_a: int | None
    player_b: int | None
    match_code: str | None
    winner_id: int | None
    score_a: int | None
    score_b: int | None
    reason: str | None
    started_at: datetime | None
    finished_at: datetime | None


class RecordedResult(msgspec.Struct, frozen=True):
    """A match's own record, for a result the tournament missed while it was down."""

    winning_team: str | None
    score_a: int
    score_b: int
    reason: str


class SearchLine(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    n_participants: int
    size: int
    created_by: str


class HistoryLine(msgspec.Struct, frozen=True):
    id: int
    code: str
    name: str
    size: int
    status: str
    alias: str
    seed: int | None
    eliminated_in: int | None
    won: bool
    started_at: datetime | None
    finished_at: datetime | None


_TOURNAMENT = ("id, code, name, size, private, created_by, created_at, status, started_at,"
               " finished_at, winner_id, chat_id")
_PARTICIPANT = (
    "p.user_id, u.username, u.nickname, u.is_guest, u.avatar, u.trophies, p.alias, p.seed,"
    " p.joined_at, p.still_in, p.eliminated_in"
)
_MATCH = ("id, round, position, player_a, player_b, match_code, winner_id, score_a, score_b,"
          " reason, started_at, finished_at")


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Tournaments:
    def __init__(self, db: Executor) -> None:
        self._db = db

    # -- before the start -------------------------------------------------------------

    async def create(
        self, *, code: str, name: str, size: int, private: bool, creator_id: int, alias: str,
        chat_id: int | None = None,
    ) -> TournamentRow:
        """The tournament with its creator as first participant and its group chat
        ``chat_id``; run it in a transaction."""
        try:
            row = await self._db.fetchrow(
                "INSERT INTO tournaments (code, name, size, private, created_by, chat_id)"
                f" VALUES (%s, %s, %s, %s, %s, %s) RETURNING {_TOURNAMENT}",
                code, name, size, private, creator_id, chat_id, into=TournamentRow, write=True,
            )
        except UniqueViolation:
            raise AlreadyHosting() from None
        await self.join(row.id, creator_id, alias)
        return row

    async def get(self, code: str) -> TournamentRow | None:
        return await self._db.fetchrow(
            f"SELECT {_TOURNAMENT} FROM tournaments WHERE code = %s", code, into=TournamentRow
        )

    async def get_by_id(self, tournament_id: int) -> TournamentRow | None:
        return await self._db.fetchrow(
            f"SELECT {_TOURNAMENT} FROM tournaments WHERE id = %s", tournament_id, into=TournamentRow
        )

    async def participants(self, tournament_id: int) -> list[Participant]:
        """In order of arrival."""
        return await self._db.fetch(
            f"SELECT {_PARTICIPANT} FROM tournament_participants p JOIN users u ON u.id = p.user_id"
            " WHERE p.tournament_id = %s ORDER BY p.joined_at, p.user_id",
            tournament_id, into=Participant,
        )

    async def join(self, tournament_id: int, user_id: int, alias: str) -> Participant:
        try:
            await self._db.execute(
                "INSERT INTO tournament_participants (tournament_id, user_id, alias)"
                " VALUES (%s, %s, %s)",
                tournament_id, user_id, alias,
            )
        except UniqueViolation:
            raise AliasTaken() from None
        return await self._db.fetchrow(
            f"SELECT {_PARTICIPANT} FROM tournament_participants p JOIN users u ON u.id = p.user_id"
            " WHERE p.tournament_id = %s AND p.user_id = %s",
            tournament_id, user_id, into=Participant, write=True,
        )

    async def leave(self, tournament_id: int, user_id: int, *, banned: bool = False) -> None:
        await self._db.execute(
            "DELETE FROM tournament_participants WHERE tournament_id = %s AND user_id = %s",
            tournament_id, user_id,
        )
        if banned:
            await self._db.execute(
                "INSERT INTO tournament_bans (tournament_id, user_id) VALUES (%s, %s)"
                " ON CONFLICT DO NOTHING",
                tournament_id, user_id,
            )

    async def banned(self, tournament_id: int) -> set[int]:
        rows = await self._db.fetch(
            "SELECT user_id FROM tournament_bans WHERE tournament_id = %s", tournament_id
        )
        return {user_id for (user_id,) in rows}

    async def hand_over(self, tournament_id: int, creator_id: int) -> None:
        """A new creator, when the first one left before the start."""
        await self._db.execute(
            "UPDATE tournaments SET created_by = %s WHERE id = %s", creator_id, tournament_id
        )

    async def cancel(self, tournament_id: int) -> None:
        await self._db.execute(
            "UPDATE tournaments SET status = 'cancelled', finished_at = now() WHERE id = %s",
            tournament_id,
        )

    # -- the bracket ------------------------------------------------------------------

    async def start(
        self,
        tournament_id: int,
        seeds: dict[int, int],
        first_round: Sequence[tuple[int | None, int | None]],
        rounds: int,
    ) -> None:
        """Draw the bracket: seeds, every round's rows, the first round's players; byes
        are won at once, their winners seated in round two. Run it in a transaction."""
        await self._db.execute(
            "UPDATE tournaments SET status = 'running', started_at = now() WHERE id = %s",
            tournament_id,
        )
        for user_id, seed in seeds.items():
            await self._db.execute(
                "UPDATE tournament_participants SET seed = %s"
                " WHERE tournament_id = %s AND user_id = %s",
                seed, tournament_id, user_id,
            )
        for position, (player_a, player_b) in enumerate(first_round):
            bye_winner = player_a if player_b is None else player_b if player_a is None else None
            await self._db.execute(
                "INSERT INTO tournament_matches (tournament_id, round, position, player_a,"
                " player_b, winner_id, reason, finished_at)"
                " VALUES (%s, 1, %s, %s, %s, %s, %s, CASE WHEN %s THEN now() END)",
                tournament_id, position, player_a, player_b, bye_winner,
                "bye" if bye_winner is not None else None, bye_winner is not None,
            )
        for round_number in range(2, rounds + 1):
            for position in range(len(first_round) >> (round_number - 1)):
                await self._db.execute(
                    "INSERT INTO tournament_matches (tournament_id, round, position)"
                    " VALUES (%s, %s, %s)",
                    tournament_id, round_number, position,
                )
        # A bye's winner waits in round two as any winner would (see the schema's rule).
        for position, (player_a, player_b) in enumerate(first_round):
            if rounds >= 2 and (player_a is None) != (player_b is None):
                column = "player_a" if position % 2 == 0 else "player_b"
                await self._db.execute(
                    f"UPDATE tournament_matches SET {column} = %s"
                    " WHERE tournament_id = %s AND round = 2 AND position = %s",
                    player_a if player_b is None else player_b, tournament_id, position // 2,
                )

    async def bracket(self, tournament_id: int) -> list[BracketMatch]:
        return await self._db.fetch(
            f"SELECT {_MATCH} FROM tournament_matches WHERE tournament_id = %s"
            " ORDER BY round, position",
            tournament_id, into=BracketMatch,
        )

    async def seat(self, match_id: int, side: str, user_id: int) -> None:
        """Put a winner into their next match, on side ``a`` or ``b``."""
        column = {"a": "player_a", "b": "player_b"}[side]
        await self._db.execute(
            f"UPDATE tournament_matches SET {column} = %s WHERE id = %s", user_id, match_id
        )

    async def match_started(self, match_id: int, code: str) -> None:
        await self._db.execute(
            "UPDATE tournament_matches SET match_code = %s, started_at = now() WHERE id = %s",
            code, match_id,
        )

    async def match_finished(
        self, tournament_id: int, match: BracketMatch, *, winner_id: int, loser_id: int,
        score_a: int, score_b: int, reason: str,
    ) -> None:
        """The result, and the loser out; run it in a transaction with the winner's seat."""
        await self._db.execute(
            "UPDATE tournament_matches SET winner_id = %s, score_a = %s, score_b = %s,"
            " reason = %s, finished_at = now() WHERE id = %s",
            winner_id, score_a, score_b, reason, match.id,
        )
        await self._db.execute(
            "UPDATE tournament_participants SET still_in = false, eliminated_in = %s"
            " WHERE tournament_id = %s AND user_id = %s",
            match.round, tournament_id, loser_id,
        )

    async def finish(self, tournament_id: int, winner_id: int) -> None:
        """The winner, and one more tournament won in their stats; in the same transaction
        as the final's result."""
        await self._db.execute(
            "UPDATE tournaments SET status = 'finished', finished_at = now(), winner_id = %s"
            " WHERE id = %s",
            winner_id, tournament_id,
        )
        await self._db.execute(
            "INSERT INTO user_stats AS s (user_id, mode, tournament_wins)"
            " VALUES (%s, 'global', 1), (%s, 'tournament', 1)"
            " ON CONFLICT (user_id, mode) DO UPDATE SET tournament_wins = s.tournament_wins + 1",
            winner_id, winner_id,
        )

    async def recorded_result(self, code: str) -> RecordedResult | None:
        return await self._db.fetchrow(
            "SELECT winning_team, score_a, score_b, reason FROM matches WHERE code = %s",
            code, into=RecordedResult,
        )

    # -- lookups ------------------------------------------------------------------------

    async def unfinished_codes(self) -> list[str]:
        """Tournaments open or running: what a starting node brings back up."""
        rows = await self._db.fetch(
            "SELECT code FROM tournaments WHERE status IN ('open', 'running') ORDER BY id"
        )
        return [code for (code,) in rows]

    async def current_of(self, user_id: int) -> str | None:
        """The open or running tournament the user is still in, if any."""
        return await self._db.fetchval(
            "SELECT t.code FROM tournaments t JOIN tournament_participants p"
            " ON p.tournament_id = t.id AND p.user_id = %s AND p.still_in"
            " WHERE t.status IN ('open', 'running') ORDER BY t.id DESC LIMIT 1",
            user_id,
        )

    async def search(self, text: str, *, limit: int, offset: int) -> tuple[int, list[SearchLine]]:
        """Public tournaments still taking participants, whose name contains ``text``."""
        where = (" FROM tournaments t JOIN users c ON c.id = t.created_by"
                 " WHERE t.status = 'open' AND NOT t.private AND t.name ILIKE %s")
        pattern = _like_pattern(text)
        count = await self._db.fetchval(f"SELECT count(*){where}", pattern)
        rows = await self._db.fetch(
            "SELECT t.id, t.code, t.name,"
            " (SELECT count(*) FROM tournament_participants p WHERE p.tournament_id = t.id)::int"
            f" AS n_participants, t.size, c.username AS created_by{where} ORDER BY t.id DESC LIMIT %s OFFSET %s",
            pattern, limit, offset, into=SearchLine,
        )
        return count, rows

    async def history(
        self, user_id: int, *, limit: int | None, offset: int
    ) -> tuple[int, list[HistoryLine]]:
        """The tournaments the user played (drawn brackets), newest first; all with ``limit=None``."""
        where = (" FROM tournaments t JOIN tournament_participants p"
                 " ON p.tournament_id = t.id AND p.user_id = %s"
                 " WHERE t.status IN ('running', 'finished')")
        count = await self._db.fetchval(f"SELECT count(*){where}", user_id)
        rows = await self._db.fetch(
            "SELECT t.id, t.code, t.name, t.size, t.status, p.alias, p.seed, p.eliminated_in,"
            f" t.winner_id IS NOT DISTINCT FROM p.user_id AS won, t.started_at, t.finished_at{where}"
            " ORDER BY t.id DESC LIMIT %s OFFSET %s",
            user_id, limit, offset, into=HistoryLine,
        )
        return count, rows
