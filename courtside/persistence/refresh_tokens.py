"""Refresh tokens, kept server-side by ``jti`` in families (DESIGN.md §4).

A refresh exchanges a live token for a new one in the same family and retires
the old. Presenting a retired token again means two parties hold it: the whole
family is revoked, which logs out the thief and the victim alike.
"""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID

import msgspec

from .database import Executor


class Rotation(enum.Enum):
    ROTATED = "rotated"
    REUSED = "reused"  # a retired token came back: its family is now revoked
    INVALID = "invalid"  # unknown, revoked or expired


class Session(msgspec.Struct, frozen=True):
    family: UUID
    issued_at: datetime
    expires_at: datetime


class RefreshTokens:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def issue(self, user_id: int, *, family: UUID, jti: UUID, expires_at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO refresh_tokens (jti, family, user_id, expires_at) VALUES (%s, %s, %s, %s)",
            jti, family, user_id, expires_at,
        )

    async def rotate(
        self, jti: UUID, *, new_jti: UUID, new_expires_at: datetime
    ) -> tuple[Rotation, int | None, UUID | None]:
        """Retire ``jti`` for ``new_jti``; returns the outcome, its user and family.

        Run it inside a transaction: the row lock makes two concurrent uses of
        one token resolve as one rotation and one reuse.
        """
        row = await self._db.fetchrow(
            "SELECT family, user_id, retired_at IS NOT NULL, revoked_at IS NOT NULL,"
            " expires_at <= now() FROM refresh_tokens WHERE jti = %s FOR UPDATE",
            jti, write=True,
        )
        if row is None:
            return Rotation.INVALID, None, None
        family, user_id, retired, revoked, expired = row
        if revoked or expired:
            return Rotation.INVALID, user_id, family
        if retired:
            await self.revoke_family(family)
            return Rotation.REUSED, user_id, family
        await self._db.execute("UPDATE refresh_tokens SET retired_at = now() WHERE jti = %s", jti)
        await self.issue(user_id, family=family, jti=new_jti, expires_at=new_expires_at)
        return Rotation.ROTATED, user_id, family

    async def family_of(self, jti: UUID) -> tuple[UUID, int] | None:
        row = await self._db.fetchrow("SELECT family, user_id FROM refresh_tokens WHERE jti = %s", jti)
        return None if row is None else (row[0], row[1])

    async def revoke_family(self, family: UUID) -> None:
        await self._db.execute(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE family = %s AND revoked_at IS NULL",
            family,
        )

    async def revoke_all(self, user_id: int) -> None:
        await self._db.execute(
            "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = %s AND revoked_at IS NULL",
            user_id,
        )

    async def live_sessions(self, user_id: int) -> list[Session]:
        """One entry per family still usable: what a data export lists."""
        return await self._db.fetch(
            "SELECT family, min(issued_at) AS issued_at, max(expires_at) AS expires_at"
            " FROM refresh_tokens WHERE user_id = %s AND revoked_at IS NULL"
            " GROUP BY family ORDER BY issued_at",
            user_id, into=Session,
        )
