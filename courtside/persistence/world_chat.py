"""The world chat's own rows: which chat it is, and who joined it (issue 18, point 7).

Its messages are a chat's like any other (``chats.Chats``); only who hears them
live differs: everyone who joined, kept here rather than in ``chat_members``.
Writes come from the world chat's actor; reads from the HTTP layer too.
"""

from __future__ import annotations

from .database import Executor


class WorldChatMissing(Exception):
    """No chat of kind 'world': migration 0010 has not run."""


class WorldChatMembers:
    """Repository over ``world_chat_members`` and the world chat's row."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    async def chat(self) -> tuple[int, str]:
        """The world chat's id and name."""
        row = await self._db.fetchrow("SELECT id, name FROM chats WHERE kind = 'world'")
        if row is None:
            raise WorldChatMissing()
        return row[0], row[1]

    async def member_ids(self) -> list[int]:
        return [user_id for (user_id,) in await self._db.fetch(
            "SELECT user_id FROM world_chat_members ORDER BY user_id"
        )]

    async def count(self) -> int:
        return await self._db.fetchval("SELECT count(*) FROM world_chat_members")

    async def is_member(self, user_id: int) -> bool:
        return bool(await self._db.fetchval(
            "SELECT EXISTS (SELECT FROM world_chat_members WHERE user_id = %s)", user_id
        ))

    async def join(self, user_id: int) -> bool:
        """False if they had joined already."""
        return bool(await self._db.execute(
            "INSERT INTO world_chat_members (user_id) VALUES (%s) ON CONFLICT DO NOTHING", user_id
        ))

    async def leave(self, user_id: int) -> bool:
        """False if they were not a member."""
        return bool(await self._db.execute(
            "DELETE FROM world_chat_members WHERE user_id = %s", user_id
        ))
