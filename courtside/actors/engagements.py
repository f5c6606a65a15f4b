"""What each user is busy with: a queue, a match, a lobby, a tournament.

One user does one of these at a time (DESIGN.md §8: joining a queue while in a
match, lobby or tournament is a 409), across every node of the cluster: the
engagements live in PostgreSQL, so a lobby on one node and a queue on another
agree on who is free. Claims and transfers are all or none.

Engagements are named as the registry names their owners (``lobby:<code>``);
clients are told them in their own words (``place``, ``already_engaged``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import trio

from courtside.persistence import Database
from courtside.persistence.engagements import EngagementRows
from courtside.protocol import Conflict

QUEUE = "queue"


class Busy(Exception):
    """The user is already engaged elsewhere; ``engagement`` says where."""

    def __init__(self, user_id: int, engagement: str) -> None:
        super().__init__(f"user {user_id} is already in {engagement}")
        self.user_id = user_id
        self.engagement = engagement

    def __reduce__(self) -> tuple[type[Busy], tuple[int, str]]:
        return Busy, (self.user_id, self.engagement)


def place(engagement: str, *, with_code: bool = True) -> str:
    """An engagement as its user knows it: ``a lobby (code kZSg5CmDIW)``, ``the ranked queue``.

    ``with_code=False`` says only the kind, for someone else's engagement: a
    lobby's code lets whoever holds it ask to join.
    """
    kind, _, name = engagement.partition(":")
    if kind == QUEUE:
        return f"the {name} queue"
    return f"a {kind} (code {name})" if with_code else f"a {kind}"


def already_engaged(engagement: str) -> Conflict:
    """The 409 of a user who asks for something while engaged in ``engagement``."""
    return Conflict(f"You are already in {place(engagement)}.", code="already_engaged")


class Engagements:
    def __init__(self, database: Database, *, node_id: Callable[[], int]) -> None:
        self._rows = EngagementRows(database)
        self._node_id = node_id

    async def of(self, user_id: int) -> str | None:
        return (await self._rows.of([user_id])).get(user_id)

    async def claim(self, user_ids: Sequence[int], engagement: str) -> None:
        """Engage every user in ``engagement``, all or none; Busy if one is elsewhere."""
        _raise_busy(await self._rows.claim(user_ids, engagement, self._node_id()))

    async def transfer(self, user_ids: Sequence[int], source: str, target: str) -> None:
        """Move users from ``source`` (e.g. a queue) to ``target`` (their match) at once."""
        _raise_busy(await self._rows.transfer(user_ids, source, target, self._node_id()))

    async def release(self, user_id: int, engagement: str) -> None:
        """Free the user, but only from this engagement (a stale release is harmless)."""
        # Releases run in cleanups too: a cancelled caller must not leave the user busy.
        with trio.CancelScope(shield=True):
            await self._rows.release([user_id], engagement)

    async def holding(self, engagement: str) -> list[int]:
        """Everyone engaged in ``engagement`` (what a restarted owner finds of its people)."""
        return await self._rows.holding(engagement)

    async def release_all(self, engagement: str) -> list[int]:
        """Free everyone held by ``engagement`` (its owner restarted empty, or ended);
        who they were."""
        with trio.CancelScope(shield=True):
            return await self._rows.release_all(engagement)

    async def forget_node(self, node_id: int) -> None:
        await self._rows.forget_node(node_id)


def _raise_busy(busy: dict[int, str]) -> None:
    if busy:
        user_id, engagement = min(busy.items())
        raise Busy(user_id, engagement)
