"""Matchmaking pair selection: closest trophies within windows that widen with waiting.

DESIGN.md §8: a player accepts opponents within ±50 trophies, 50 more for every 5 s
spent in the queue. A pair needs the difference within BOTH players' windows, as
Nakama's matchmaker needs both tickets' queries to accept each other: a newcomer is
never handed an opponent far off just because that opponent has waited long; the
long waiter is paired as soon as someone near enough has waited long enough too.

The choice is greedy, closest first, and costs O(n log n) whatever the trophies and
waits (a queue of newcomers all at 1000 trophies is the common case, not the worst):
``Pairing`` does it in slices of bounded work, so a matchmaker can let the loop run
between them.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import operator
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple


class Waiting(NamedTuple):
    """A player in a queue, once per user; ``joined_at`` is on the same clock as ``now``."""

    user_id: int
    trophies: int
    joined_at: float


def window(
    player: Waiting,
    now: float,
    *,
    base_window: int = 50,
    widen_by: int = 50,
    widen_every: float = 5.0,
) -> int:
    """How far, in trophies, ``player`` accepts an opponent at ``now``."""
    waited = max(0.0, now - player.joined_at)  # a clock step back never narrows it
    return base_window + widen_by * int(waited // widen_every)


def pairs(
    waiting: Iterable[Waiting],
    now: float,
    *,
    base_window: int = 50,
    widen_by: int = 50,
    widen_every: float = 5.0,
) -> list[tuple[int, int]]:
    """The pairs to start now, as (longer waiter, other) user ids, all in one go: pairs
    of equal trophies first (by trophies, then seniority), then closest first."""
    pairing = Pairing(
        sorted(waiting, key=ladder_order), now,
        base_window=base_window, widen_by=widen_by, widen_every=widen_every,
    )
    return pairing.advance(budget=None)


# By trophies, then seniority (joined_at, user_id): Waiting's fields 1, 2, 0. A queue
# kept in this order (bisect.insort) spares each pass a sort of the whole queue.
ladder_order = operator.itemgetter(1, 2, 0)


_Seniority = tuple[float, int]
_Key = tuple[int, _Seniority, _Seniority]  # (difference, longer waiter, other)


class Pairing:
    """One pass of pair selection over a snapshot of the queue.

    Greedy, closest first: the acceptable pair with the smallest difference is taken,
    then the next among players still free, and so on. Equal differences go to the
    pair whose longer waiter has waited longest, then whose other player has; user ids
    settle what remains, so the answer depends only on who waits, and since when.
    Every player appears at most once, and no two players left over could be paired.

    How, without looking at every pair: players with equal trophies pair among
    themselves first, in order of seniority (a difference of 0 beats any other).
    What is left has distinct trophies, on a ladder. The best pair a player can head
    (as the one with the narrower window) is with the nearest free player on either
    side whose window is at least as wide: anyone nearer with a window that wide would
    be a closer acceptable pair. A max-tree of free players' windows finds that
    neighbour in O(log n), and a heap of each player's best pair yields pairs in the
    greedy order; a heap entry whose partner was taken meanwhile is recomputed when it
    surfaces.

    ``operations`` counts the units of work done (players placed, tree nodes visited,
    heap entries handled): ``advance`` stops after about ``budget`` of them. ``ladder``
    is the queue in ``ladder_order``.
    """

    def __init__(
        self,
        ladder: Sequence[Waiting],
        now: float,
        *,
        base_window: int = 50,
        widen_by: int = 50,
        widen_every: float = 5.0,
    ) -> None:
        self._ladder = list(ladder)  # the caller's list may change between slices
        self._window = functools.partial(
            window, now=now, base_window=base_window, widen_by=widen_by, widen_every=widen_every
        )
        self.operations = 0
        self.finished = False
        self._steps = self._run()

    def advance(self, budget: int | None) -> list[tuple[int, int]]:
        """The next pairs, in greedy order, found within about ``budget`` operations
        (None: all of them); ``finished`` tells when none are left to find."""
        limit = None if budget is None else self.operations + budget
        found: list[tuple[int, int]] = []
        for pair in self._steps:
            if pair is not None:
                found.append(pair)
            if limit is not None and self.operations >= limit:
                return found
        self.finished = True
        return found

    def _run(self) -> Iterator[tuple[int, int] | None]:
        """Yields each pair as it is chosen, and None between units of work."""
        ladder: list[tuple[Waiting, int]] = []  # one player per trophy count, and its window
        for _, group in itertools.groupby(self._ladder, key=operator.itemgetter(1)):
            members = list(group)
            for first, second in zip(members[::2], members[1::2]):
                self.operations += 2
                yield first.user_id, second.user_id
            if len(members) % 2:
                self.operations += 1
                ladder.append((members[-1], self._window(members[-1])))
                yield None
        yield from _Ladder(self, ladder).pairs()


def _seniority(player: Waiting) -> _Seniority:
    return player.joined_at, player.user_id


class _Ladder:
    """Players with distinct trophies, in trophy order, and the max-tree of free windows."""

    def __init__(self, pairing: Pairing, ladder: list[tuple[Waiting, int]]) -> None:
        self._pairing = pairing
        self._players = [player for player, _ in ladder]
        self._windows = [reach for _, reach in ladder]
        self._leaves = 1 << max(0, len(ladder) - 1).bit_length()
        self._tree = [-1] * (2 * self._leaves)  # -1: no free player under this node
        self._tree[self._leaves : self._leaves + len(ladder)] = self._windows

    def pairs(self) -> Iterator[tuple[int, int] | None]:
        pairing = self._pairing
        tree = self._tree
        for node in range(self._leaves - 1, 0, -1):
            pairing.operations += 1
            tree[node] = max(tree[2 * node], tree[2 * node + 1])
            yield None
        heap: list[tuple[_Key, int, int]] = []
        for position in range(len(self._players)):
            if (best := self._best_pair(position)) is not None:
                heapq.heappush(heap, best)
            yield None
        while heap:
            _, position, partner = heapq.heappop(heap)
            pairing.operations += 1
            if self._tree[self._leaves + position] < 0:
                pass  # taken since, by a closer pair
            elif self._tree[self._leaves + partner] < 0:
                if (best := self._best_pair(position)) is not None:
                    heapq.heappush(heap, best)
            else:
                self._take(position)
                self._take(partner)
                first, second = sorted((self._players[position], self._players[partner]), key=_seniority)
                yield first.user_id, second.user_id
                continue
            yield None

    def _best_pair(self, position: int) -> tuple[_Key, int, int] | None:
        """The closest acceptable pair ``position`` heads, if any."""
        reach = self._windows[position]
        best = None
        for partner in (self._nearest(position, reach, +1), self._nearest(position, reach, -1)):
            if partner is None:
                continue
            difference = abs(self._players[partner].trophies - self._players[position].trophies)
            if difference > reach:
                continue
            first, second = sorted((_seniority(self._players[position]), _seniority(self._players[partner])))
            candidate = ((difference, first, second), position, partner)
            if best is None or candidate < best:
                best = candidate
        return best

    def _nearest(self, position: int, at_least: int, step: int) -> int | None:
        """The nearest free player past ``position`` (right for step +1, left for -1)
        whose window is ``at_least`` wide."""
        tree = self._tree
        node = self._leaves + position
        toward = 1 if step > 0 else 0  # a left child (even) looks right, a right one left
        while node > 1:
            self._pairing.operations += 1
            if node & 1 != toward and tree[node + step] >= at_least:
                node += step
                break
            node >>= 1
        else:
            return None
        while node < self._leaves:
            self._pairing.operations += 1
            near, far = (2 * node, 2 * node + 1) if step > 0 else (2 * node + 1, 2 * node)
            node = near if tree[near] >= at_least else far
        return node - self._leaves

    def _take(self, position: int) -> None:
        node = self._leaves + position
        self._tree[node] = -1
        node >>= 1
        while node:
            self._pairing.operations += 1
            self._tree[node] = max(self._tree[2 * node], self._tree[2 * node + 1])
            node >>= 1
