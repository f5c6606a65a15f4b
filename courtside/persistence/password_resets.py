"""Password-reset links: single use, short-lived, kept only as a hash of their token."""

from __future__ import annotations

from datetime import datetime

import msgspec

from .database import Executor


class ResetAccount(msgspec.Struct, frozen=True):
    id: int
    username: str


class PasswordResets:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def accounts_of(self, email: str) -> list[ResetAccount]:
        """The registered accounts that gave this address (addresses are not unique)."""
        if "\x00" in email:
            return []  # no address holds a NUL, and PostgreSQL text cannot carry one
        return await self._db.fetch(
            "SELECT id, username FROM users WHERE lower(email) = lower(%s)"
            " AND NOT is_guest AND deleted_at IS NULL ORDER BY id",
            email, into=ResetAccount,
        )

    async def issue(self, user_id: int, token_hash: bytes, expires_at: datetime) -> None:
        await self._db.execute(
            "INSERT INTO password_resets (token_hash, user_id, expires_at) VALUES (%s, %s, %s)",
            token_hash, user_id, expires_at,
        )

    async def holder(self, token_hash: bytes) -> int | None:
        """The account a live (unused, unexpired) link resets; None for any other."""
        return await self._db.fetchval(
            "SELECT user_id FROM password_resets"
            " WHERE token_hash = %s AND used_at IS NULL AND expires_at > now()",
            token_hash,
        )

    async def redeem(self, token_hash: bytes) -> int | None:
        """Use a live link once and retire every other link of its account.

        Returns the account, or None when the link is not live (two concurrent
        uses: the row lock lets one win). Run it in the transaction that sets
        the password.
        """
        user_id = await self._db.fetchval(
            "UPDATE password_resets SET used_at = now()"
            " WHERE token_hash = %s AND used_at IS NULL AND expires_at > now() RETURNING user_id",
            token_hash, write=True,
        )
        if user_id is not None:
            await self._db.execute(
                "UPDATE password_resets SET used_at = now() WHERE user_id = %s AND used_at IS NULL",
                user_id,
            )
        return user_id
