"""What each user is busy with: a queue, a match, a lobby, a tournament.

One user does one of these at a time (DESIGN.md §8: joining a queue while in a
match, lobby or tournament is a 409). In-process, like everything a single
node owns; a user's engagements never span nodes.

Engagements are named as the registry names their owners (``lobby:<code>``);
clients are told them in their own words (``place``, ``already_engaged``).
"""

from __future__ import annotations

from courtside.protocol import Conflict

QUEUE = "queue"


class Busy(Exception):
    """The user is already engaged elsewhere; ``engagement`` says where."""

    def __init__(self, user_id: int, engagement: str) -> None:
        super().__init__(f"user {user_id} is already in {engagement}")
        self.user_id = user_id
        self.engagement = engagement


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
    def __init__(self) -> None:
        self._by_user: dict[int, str] = {}

    def of(self, user_id: int) -> str | None:
        return self._by_user.get(user_id)

    def claim(self, user_ids: list[int] | tuple[int, ...], engagement: str) -> None:
        """Engage every user in ``engagement``, all or none; Busy if one is elsewhere."""
        for user_id in user_ids:
            current = self._by_user.get(user_id)
            if current is not None and current != engagement:
                raise Busy(user_id, current)
        for user_id in user_ids:
            self._by_user[user_id] = engagement

    def transfer(self, user_ids: list[int] | tuple[int, ...], source: str, target: str) -> None:
        """Move users from ``source`` (e.g. a queue) to ``target`` (their match) at once."""
        for user_id in user_ids:
            if self._by_user.get(user_id) != source:
                raise Busy(user_id, self._by_user.get(user_id, "nothing"))
        for user_id in user_ids:
            self._by_user[user_id] = target

    def release(self, user_id: int, engagement: str) -> None:
        """Free the user, but only from this engagement (a stale release is harmless)."""
        if self._by_user.get(user_id) == engagement:
            del self._by_user[user_id]

    def holding(self, engagement: str) -> list[int]:
        """Everyone engaged in ``engagement`` (what a restarted owner finds of its people)."""
        return [u for u, e in self._by_user.items() if e == engagement]

    def release_all(self, engagement: str) -> None:
        """Free everyone held by ``engagement`` (its owner restarted empty)."""
        for user_id in [u for u, e in self._by_user.items() if e == engagement]:
            del self._by_user[user_id]
