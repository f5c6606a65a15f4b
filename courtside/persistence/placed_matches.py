"""Matches placed on a node and not yet recorded (DESIGN.md §10)."""

from __future__ import annotations

from .database import Database


class PlacedMatches:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def place(self, code: str, node_id: int, spec: bytes, report_to: str | None) -> None:
        await self._db.execute(
            "INSERT INTO placed_matches (code, node_id, spec, report_to) VALUES (%s, %s, %s, %s)",
            code, node_id, spec, report_to,
        )

    async def recorded(self, code: str) -> None:
        await self._db.execute("DELETE FROM placed_matches WHERE code = %s", code)

    async def get(self, code: str) -> tuple[bytes, str | None] | None:
        row = await self._db.fetchrow(
            "SELECT spec, report_to FROM placed_matches WHERE code = %s", code
        )
        return None if row is None else (bytes(row[0]), row[1])
