"""Presence across the cluster: online while any node holds a connection (DESIGN.md §5).

A user's first connection anywhere and their last closing are announced to
their online friends (wherever those are connected) as ``presence``; the last
closing also writes ``last_online``. What a user plays is their engagement in a
match, wherever it is hosted. A dead node's users are announced offline by the survivor that reaps it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import trio

from courtside.actors.hub import MAX_CONNECTIONS_PER_USER, UserPresence
from courtside.persistence import Database, Social, Users
from courtside.persistence.presence import PresenceRows

log = logging.getLogger(__name__)

class Presence:
    def __init__(
        self,
        database: Database,
        *,
        node_id: Callable[[], int],
        publish: Callable[[Iterable[int], str, dict[str, Any], dict[str, Any]], None],
    ) -> None:
        self._rows = PresenceRows(database)
        self._social = Social(database)
        self._users = Users(database)
        self._node_id = node_id
        self._publish = publish
        self._announcements: trio.Nursery | None = None
        self._offline_hooks: list[Callable[[int], None]] = []

    def when_offline(self, hook: Callable[[int], None]) -> None:
        """Call ``hook(user_id)`` (never blocking) when a user is online nowhere any more."""
        self._offline_hooks.append(hook)

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Hold the nursery announcements run in (they never hold up a connection)."""
        async with trio.open_nursery() as self._announcements:
            task_status.started()
            await trio.sleep_forever()

    async def came_online(self, user_id: int) -> None:
        """A connection of the user opened here; TooManyConnections at the cluster's limit."""
        if await self._rows.open(user_id, self._node_id(), limit=MAX_CONNECTIONS_PER_USER):
            self._soon(self._announce, user_id)

    async def went_away(self, user_id: int) -> None:
        """A connection of the user here closed."""
        if await self._rows.close(user_id, self._node_id()):
            self._soon(self._gone, user_id)

    async def of(self, user_ids: Iterable[int]) -> dict[int, UserPresence]:
        user_ids = list(user_ids)
        online = await self._rows.online_among(user_ids)
        playing = await self._rows.playing(user_ids)
        return {user_id: UserPresence(is_online=user_id in online, game_playing=playing.get(user_id))
                for user_id in user_ids}

    async def everyone_online(self) -> list[int]:
        return await self._rows.everyone_online()

    async def connections(self, user_id: int) -> int:
        return await self._rows.connections(user_id)

    def playing_changed(self, user_ids: Iterable[int]) -> None:
        """These users' matches started or ended: their friends are told."""
        for user_id in user_ids:
            self._soon(self._announce, user_id)

    async def forget_node(self, node_id: int) -> None:
        """A dead node's connections are gone: its users who are nowhere else went offline."""
        for user_id in await self._rows.forget_node(node_id):
            self._soon(self._gone, user_id)

    def _soon(self, work: Callable[..., Any], *args: Any) -> None:
        if self._announcements is None:
            log.error("presence is not running: %s%r dropped", work.__name__, args)
            return
        self._announcements.start_soon(work, *args)

    async def _gone(self, user_id: int) -> None:
        for hook in self._offline_hooks:
            hook(user_id)
        try:
            await self._users.went_offline(user_id)
        except Exception:
            log.exception("could not record that user %s went offline", user_id)
        await self._announce(user_id)

    async def _announce(self, user_id: int) -> None:
        """Tell the user's online friends where they are now.

        The presence sent is read after the friends query, not at the change:
        announcements of quick flips may finish out of order, and each one must
        say the latest truth.
        """
        try:
            friends = await self._social.friend_ids(user_id)
            online = await self._rows.online_among(friends) if friends else set()
            if not online:
                return
            presence = (await self.of([user_id]))[user_id]
        except Exception:
            log.exception("could not announce the presence of user %s", user_id)
            return
        self._publish(sorted(online), "presence", {
            "user_id": user_id,
            "is_online": presence.is_online,
            "game_playing": presence.game_playing,
        }, {})
