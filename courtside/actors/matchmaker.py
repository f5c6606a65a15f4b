"""A queue per mode (``queue:duel``, ``queue:ranked``) that pairs players into matches.

Pairing runs once a second over everyone waiting (closest trophies, windows that
widen with waiting: ``pairing.Pairing``), in slices of about a millisecond with the
loop free between them, so a big queue never stalls the matches. A paired couple
moves from the queue to its match in one step, so neither can be in both, and each
player is told ``game-start`` with the match code and the full ``ws_url``. When a
queue stops (a crash, the node's shutdown or death) everyone it held is told
``queue-left`` once its successor or its own cleanup frees them.
"""

from __future__ import annotations

import bisect
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import msgspec
import trio

from .bus import Bus
from .engagements import Busy, Engagements
from .handle import Inbox, Overflow, Reply
from .match_messages import MatchSpec
from .pairing import Pairing, Waiting, ladder_order

log = logging.getLogger(__name__)

PAIR_EVERY = 1.0
PAIRING_SLICE = 1000  # units of Pairing work: about a millisecond
MAX_WAITING = 10_000


class QueueTicket(msgspec.Struct, frozen=True):
    user_id: int
    game_mode: str
    trophies: int
    join_at: datetime


class Enqueue(msgspec.Struct, frozen=True):
    user_id: int
    trophies: int
    reply: Reply[QueueTicket]


class Dequeue(msgspec.Struct, frozen=True):
    user_id: int
    reply: Reply[bool]


class QueueFull(Exception):
    """The queue holds MAX_WAITING players already."""


def new_match_code() -> str:
    """10 URL-safe characters: 60 random bits."""
    return secrets.token_urlsafe(8)[:10]


class Matchmaker:
    def __init__(
        self,
        mode: str,
        *,
        engagements: Engagements,
        bus: Bus,
        start_match: Callable[[MatchSpec], Awaitable[str]],  # answers its ws_url
    ) -> None:
        self.mode = mode
        self._engagements = engagements
        self._bus = bus
        self._start_match = start_match
        self._waiting: dict[int, tuple[Waiting, QueueTicket]] = {}
        # Joining: the engagement claim is on its way; True once they left meanwhile.
        self._joining: dict[int, bool] = {}
        self._ladder: list[Waiting] = []  # the same players, in ladder_order

    @property
    def _engagement(self) -> str:
        return f"queue:{self.mode}"

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        # A restarted matchmaker starts empty: whoever the old one held may queue again
        # (its node died with them still queued).
        await self._forget_everyone()
        with Inbox(1024, Overflow.REJECT, name=self._engagement) as inbox:
            task_status.started(inbox.handle)
            try:
                # Joins are claimed and matches placed beside the loop: each waits on the
                # database (placing, maybe on another node too), and a burst of them
                # must not wait on one another while the queue keeps answering.
                async with trio.open_nursery() as self._beside:
                    next_pairing = trio.current_time() + PAIR_EVERY
                    while True:
                        with trio.move_on_at(next_pairing):
                            await self._handle(await inbox.receive())
                            continue
                        next_pairing += PAIR_EVERY
                        await self._pair()
            finally:
                await self._forget_everyone()

    async def _forget_everyone(self) -> None:
        """Free whoever the queue holds, and tell them their place is gone: a client
        waiting for ``game-start`` would otherwise wait for good."""
        if released := await self._engagements.release_all(self._engagement):
            self._bus.publish(released, "queue-left", {"game_mode": self.mode})

    async def _handle(self, message: object) -> None:
        match message:
            case Enqueue(user_id, trophies, reply):
                if len(self._waiting) + len(self._joining) >= MAX_WAITING:
                    reply.fail(QueueFull())
                    return
                if user_id in self._waiting or user_id in self._joining:
                    # Already queued is engaged like any other engagement: a 409, and
                    # the place in the queue (and its waiting time) is kept.
                    reply.fail(Busy(user_id, self._engagement))
                    return
                self._joining[user_id] = False
                self._beside.start_soon(self._join, user_id, trophies, reply)
            case Dequeue(user_id, reply) if user_id in self._joining:
                self._joining[user_id] = True  # _join releases the claim once it is in
                reply.send(True)
            case Dequeue(user_id, reply):
                left = self._leave_queue(user_id)
                await self._engagements.release(user_id, self._engagement)
                reply.send(left)

    async def _join(self, user_id: int, trophies: int, reply: Reply[QueueTicket]) -> None:
        try:
            await self._engagements.claim([user_id], self._engagement)
        except Exception as busy:
            del self._joining[user_id]
            reply.fail(busy)
            return
        ticket = QueueTicket(user_id, self.mode, trophies, datetime.now(UTC))
        if self._joining[user_id]:
            # Left while joining; still joining until released, so a new join waits its turn.
            await self._engagements.release(user_id, self._engagement)
        else:
            waiting = Waiting(user_id, trophies, trio.current_time())
            self._waiting[user_id] = (waiting, ticket)
            bisect.insort(self._ladder, waiting, key=ladder_order)
        del self._joining[user_id]
        reply.send(ticket)

    def _leave_queue(self, user_id: int) -> bool:
        entry = self._waiting.pop(user_id, None)
        if entry is None:
            return False
        waiting = entry[0]
        del self._ladder[bisect.bisect_left(self._ladder, ladder_order(waiting), key=ladder_order)]
        return True

    async def _pair(self) -> None:
        pairing = Pairing(self._ladder, trio.current_time())
        while not pairing.finished:
            for first, second in pairing.advance(PAIRING_SLICE):
                self._leave_queue(first)
                self._leave_queue(second)
                self._beside.start_soon(self._start, first, second)
            await trio.lowlevel.checkpoint()

    async def _start(self, first: int, second: int) -> None:
        spec = MatchSpec(
            code=new_match_code(),
            mode=self.mode,
            team_a=(first,),
            team_b=(second,),
            seed=secrets.randbits(63),
        )
        try:
            await self._engagements.transfer([first, second], self._engagement, f"match:{spec.code}")
        except Busy as gone:
            # One left the queue (or its engagement ended) since the pass paired them.
            log.info("match %s not started: %s", spec.code, gone)
            return
        try:
            ws_url = await self._start_match(spec)
        except Exception:
            log.exception("could not start match %s", spec.code)
            for user_id in (first, second):
                await self._engagements.release(user_id, f"match:{spec.code}")
            return
        for user_id, opponent in ((first, second), (second, first)):
            self._bus.publish_to_user(user_id, "game-start", {
                "code": spec.code,
                "game_mode": self.mode,
                "opponent_id": opponent,
                "ws_url": ws_url,
            })
