"""The users table: accounts, guests, settings, and anonymised deleted accounts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from .database import Executor, UniqueViolation


class UsernameTaken(Exception):
    """Another account already holds this username (case-insensitively)."""


class User(msgspec.Struct, frozen=True):
    id: int
    username: str
    nickname: str
    bio: str
    email: str | None
    password_hash: str | None
    is_guest: bool
    accept_friend_request: bool
    accept_chat_from: str
    trophies: int
    avatar: str | None
    token_version: int
    created_at: datetime
    last_online: datetime | None


_COLUMNS = ", ".join(User.__struct_fields__)
# What PATCH /api/users/me/ and guest registration may change (avatars: set_avatar).
UPDATABLE = frozenset(
    {"username", "nickname", "bio", "email", "password_hash", "is_guest",
     "accept_friend_request", "accept_chat_from"}
)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Users:
    """Repository over ``users``; deleted accounts are invisible to every lookup."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    async def create(
        self,
        *,
        username: str,
        nickname: str,
        email: str | None = None,
        password_hash: str | None = None,
        is_guest: bool = False,
    ) -> User:
        try:
            return await self._db.fetchrow(
                f"INSERT INTO users (username, nickname, email, password_hash, is_guest)"
                f" VALUES (%s, %s, %s, %s, %s) RETURNING {_COLUMNS}",
                username, nickname, email, password_hash, is_guest,
                into=User, write=True,
            )
        except UniqueViolation as error:
            raise UsernameTaken(username) from error

    async def get(self, user_id: int) -> User | None:
        return await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM users WHERE id = %s AND deleted_at IS NULL",
            user_id, into=User,
        )

    async def by_username(self, username: str) -> User | None:
        return await self._db.fetchrow(
            f"SELECT {_COLUMNS} FROM users WHERE lower(username) = lower(%s)"
            " AND deleted_at IS NULL",
            username, into=User,
        )

    async def update(self, user_id: int, changes: dict[str, Any]) -> User:
        """Set the given columns (only those in UPDATABLE) and return the new row."""
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        if not changes:
            user = await self.get(user_id)
            assert user is not None
            return user
        assignments = ", ".join(f"{column} = %s" for column in changes)
        try:
            return await self._db.fetchrow(
                f"UPDATE users SET {assignments} WHERE id = %s AND deleted_at IS NULL"
                f" RETURNING {_COLUMNS}",
                *changes.values(), user_id, into=User, write=True,
            )
        except UniqueViolation as error:
            raise UsernameTaken(changes.get("username", "")) from error

    async def set_avatar(self, user_id: int, stem: str | None) -> str | None:
        """Point the user at new avatar files; returns the stem it replaced.

        The row lock makes two concurrent uploads each learn the stem they
        displaced, so no set of files is left that nothing points to.
        """
        return await self._db.fetchval(
            "UPDATE users AS u SET avatar = %s"
            " FROM (SELECT id, avatar FROM users WHERE id = %s FOR UPDATE) AS old"
            " WHERE u.id = old.id RETURNING old.avatar",
            stem, user_id, write=True,
        )

    async def end_all_sessions(self, user_id: int) -> int:
        """Invalidate every access token issued so far; returns the new version."""
        return await self._db.fetchval(
            "UPDATE users SET token_version = token_version + 1 WHERE id = %s"
            " RETURNING token_version",
            user_id, write=True,
        )

    async def went_offline(self, user_id: int) -> None:
        """Their last live connection closed: this is when they were last seen."""
        await self._db.execute(
            "UPDATE users SET last_online = now() WHERE id = %s AND deleted_at IS NULL", user_id
        )

    async def anonymise(self, user_id: int) -> None:
        """Remove personal data; the row stays so others' history keeps its shape."""
        await self._db.execute(
            "UPDATE users SET username = 'deleted_' || id, nickname = 'Deleted user', bio = '',"
            " email = NULL, password_hash = NULL, avatar = NULL, last_online = NULL,"
            " accept_friend_request = false, accept_chat_from = 'none',"
            " token_version = token_version + 1, deleted_at = now()"
            " WHERE id = %s",
            user_id,
        )

    async def search(
        self, query: str, *, exclude_ids: Sequence[int], among: Sequence[int] | None = None,
        limit: int, offset: int,
    ) -> tuple[int, list[User]]:
        """Users whose username or nickname contains ``query``, by username;
        only those in ``among`` when it is given."""
        pattern = _like_pattern(query)
        where = (
            "deleted_at IS NULL AND (username ILIKE %s OR nickname ILIKE %s)"
            " AND id <> ALL(%s::bigint[])"
            " AND (%s::bigint[] IS NULL OR id = ANY(%s::bigint[]))"
        )
        among = None if among is None else list(among)
        params = (pattern, pattern, list(exclude_ids), among, among)
        count = await self._db.fetchval(f"SELECT count(*) FROM users WHERE {where}", *params)
        rows = await self._db.fetch(
            f"SELECT {_COLUMNS} FROM users WHERE {where}"
            " ORDER BY lower(username) LIMIT %s OFFSET %s",
            *params, limit, offset, into=User,
        )
        return count, rows
