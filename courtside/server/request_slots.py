"""How many HTTP requests work on the loop at once (issue 20).

The tick shard shares the loop with every request handler, and whenever it lets
other tasks run it waits for each runnable one to take its turn. A burst of
requests (a wave of players signing in and queueing) made those turns tens of
milliseconds: the shard fell behind and players lost states. So a request holds
one of a few slots while it works, and the rest wait their turn in order, off
the run queue. At 300 matches under waves, tick lateness p99 fell from 43.7 to
7.6 ms, and the waves were made sooner (bench/RESULTS.md, 2026-12-04).

A slot is held until the response starts (so an event stream's long body holds
none), and at most LEASE: a request still running by then is waiting on
something outside the loop (a slow upload, an OAuth provider, a cross-node reply),
and it goes on without its slot rather than hold the others back. The bound is
on young requests, which is where the loop's work is.
"""

from __future__ import annotations

import collections
from typing import Any

import trio

SLOTS = 8
LEASE = 0.02  # s a request may hold its slot


class _Ticket:
    __slots__ = ("taken_at", "granted")

    def __init__(self) -> None:
        self.taken_at = 0.0
        self.granted = trio.Event()


class RequestSlots:
    """At most ``slots`` requests younger than ``lease`` seconds hold a slot; the
    others wait, first come first served."""

    def __init__(self, slots: int = SLOTS, lease: float = LEASE) -> None:
        if slots < 1 or lease <= 0:
            raise ValueError("request slots need at least one slot and a positive lease")
        self._slots = slots
        self._lease = lease
        self._holders: dict[_Ticket, None] = {}  # oldest first
        self._waiting: collections.deque[_Ticket] = collections.deque()

    @property
    def held(self) -> int:
        return len(self._holders)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def take(self) -> _Ticket:
        await trio.lowlevel.checkpoint_if_cancelled()
        ticket = _Ticket()
        self._expire_leases()
        if not self._waiting and len(self._holders) < self._slots:
            self._grant(ticket)
            await trio.lowlevel.cancel_shielded_checkpoint()
            return ticket
        self._waiting.append(ticket)
        try:
            while not ticket.granted.is_set():
                # The oldest holder's lease ends first: then a slot frees itself.
                with trio.move_on_at(next(iter(self._holders)).taken_at + self._lease):
                    await ticket.granted.wait()
                self._expire_leases()
        except BaseException:
            if ticket.granted.is_set():
                self.give_back(ticket)
            else:
                self._waiting.remove(ticket)
            raise
        return ticket

    def give_back(self, ticket: _Ticket) -> None:
        """Free ``ticket``'s slot, if it still holds one; idempotent."""
        if ticket in self._holders:
            del self._holders[ticket]
            self._admit_waiting()

    def _grant(self, ticket: _Ticket) -> None:
        ticket.taken_at = trio.current_time()
        self._holders[ticket] = None
        ticket.granted.set()

    def _expire_leases(self) -> None:
        deadline = trio.current_time() - self._lease
        while self._holders and next(iter(self._holders)).taken_at <= deadline:
            del self._holders[next(iter(self._holders))]
        self._admit_waiting()

    def _admit_waiting(self) -> None:
        while self._waiting and len(self._holders) < self._slots:
            self._grant(self._waiting.popleft())


class SlottedRequests:
    """An ASGI wrapper: each HTTP request works under a ``RequestSlots`` slot until
    its response starts; sockets and the lifespan pass straight through."""

    def __init__(self, app: Any, slots: RequestSlots) -> None:
        self._app = app
        self._slots = slots

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        ticket = await self._slots.take()

        async def send_and_free(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self._slots.give_back(ticket)
            await send(message)

        try:
            await self._app(scope, receive, send_and_free)
        finally:
            self._slots.give_back(ticket)
