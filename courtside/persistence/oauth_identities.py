"""Accounts at OAuth providers, and the Courtside account each one signs into."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime

import msgspec

from .database import Executor, UniqueViolation


class IdentityTaken(Exception):
    """This provider account already signs into a Courtside account."""


class ProviderAlreadyLinked(Exception):
    """The Courtside account already has another account of this provider linked."""


class Unlinking(enum.Enum):
    UNLINKED = "unlinked"
    NOT_LINKED = "not_linked"
    LAST_WAY_IN = "last_way_in"  # no password and no other provider: it would lock them out


class Identity(msgspec.Struct, frozen=True):
    provider: str
    linked_at: datetime


class OAuthIdentities:
    def __init__(self, db: Executor) -> None:
        self._db = db

    async def user_of(self, provider: str, subject: str) -> int | None:
        """The live account this provider account signs into (a deleted one signs into none)."""
        return await self._db.fetchval(
            "SELECT i.user_id FROM oauth_identities AS i JOIN users AS u ON u.id = i.user_id"
            " WHERE i.provider = %s AND i.subject = %s AND u.deleted_at IS NULL",
            provider, subject,
        )

    async def link(self, user_id: int, provider: str, subject: str) -> None:
        # A deleted account keeps its anonymised row; its links must not block a new account.
        await self._db.execute(
            "DELETE FROM oauth_identities WHERE provider = %s AND subject = %s"
            " AND user_id IN (SELECT id FROM users WHERE deleted_at IS NOT NULL)",
            provider, subject,
        )
        try:
            await self._db.execute(
                "INSERT INTO oauth_identities (provider, subject, user_id) VALUES (%s, %s, %s)",
                provider, subject, user_id,
            )
        except UniqueViolation as error:
            if error.constraint == "oauth_identities_one_per_provider":
                raise ProviderAlreadyLinked(provider) from error
            raise IdentityTaken(provider) from error

    async def linked(self, user_id: int) -> list[Identity]:
        return await self._db.fetch(
            "SELECT provider, linked_at FROM oauth_identities WHERE user_id = %s ORDER BY provider",
            user_id, into=Identity,
        )

    async def unlink(self, user_id: int, provider: str) -> Unlinking:
        """Remove the link unless it is the account's last way to sign in.

        Run it in a transaction: the row locks keep two concurrent unlinks of a
        password-less account from removing both of its last two links.
        """
        has_password = await self._db.fetchval(
            "SELECT password_hash IS NOT NULL FROM users WHERE id = %s FOR UPDATE",
            user_id, write=True,
        )
        rows = await self._db.fetch(
            "SELECT provider FROM oauth_identities WHERE user_id = %s FOR UPDATE",
            user_id, write=True,
        )
        providers = [provider for (provider,) in rows]
        if provider not in providers:
            return Unlinking.NOT_LINKED
        if not has_password and len(providers) == 1:
            return Unlinking.LAST_WAY_IN
        await self._db.execute(
            "DELETE FROM oauth_identities WHERE user_id = %s AND provider = %s", user_id, provider
        )
        return Unlinking.UNLINKED

    async def taken_usernames(self, candidates: Sequence[str]) -> set[str]:
        """Which of these usernames (lower-cased) an account holds, deleted ones included."""
        rows = await self._db.fetch(
            "SELECT lower(username) FROM users WHERE lower(username) = ANY(%s::text[])",
            [candidate.lower() for candidate in candidates],
        )
        return {username for (username,) in rows}
