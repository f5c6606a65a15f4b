"""Inboxes and handles: how the outside reaches an actor, and how the actor answers.

An actor owns an `Inbox`, a bounded Trio memory channel plus the bookkeeping a
sender needs: the overflow policy, a count of dropped messages, and the requests
still waiting for an answer. The outside holds only `inbox.handle`.

Sending never blocks: a full inbox applies the actor's `Overflow` policy at once.
Requests are the exception to that policy: a request that does not fit raises
`MailboxFull`, whatever the policy, because a dropped request would only surface
as a timeout much later. For the same reason a request evicted by `DROP_OLDEST`
fails with `MailboxFull` at once, and every request still unanswered when the
actor's inbox closes fails with `ActorGone` at once.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

import outcome
import trio

logger = logging.getLogger(__name__)

M = TypeVar("M")
R = TypeVar("R")
T = TypeVar("T")


class Overflow(enum.Enum):
    """What a full inbox does with one more message."""

    DROP_NEWEST = enum.auto()  # the new message is dropped and counted
    DROP_OLDEST = enum.auto()  # the oldest queued message makes room, counted
    REJECT = enum.auto()  # the sender gets MailboxFull
    CLOSE = enum.auto()  # the actor's next receive raises MailboxOverflow


class ActorGone(Exception):
    """The actor has exited: it will not read this message or answer this request."""


class MailboxFull(Exception):
    """The actor's inbox is full and the sender has to know (REJECT, or a request)."""


class MailboxOverflow(Exception):
    """Raised in an actor whose CLOSE inbox overflowed: it fell too far behind to go on."""


class RequestTimeout(TimeoutError):
    """The actor did not answer within the request's deadline."""


class Reply(Generic[T]):
    """The one-shot way back to a caller, carried inside a request message.

    Answering never blocks and never fails because the caller gave up; answering
    the same request twice is a bug in the actor and raises RuntimeError.
    """

    __slots__ = ("_answered", "_inbox", "_outcome", "_request", "_settled")

    def __init__(self, inbox: Inbox[Any]) -> None:
        self._inbox = inbox
        self._request: object = None
        self._outcome: outcome.Outcome[T] | None = None
        self._answered = False
        self._settled = trio.Event()

    def send(self, value: T) -> None:
        """Answer the request with `value`."""
        self._answer(outcome.Value(value))

    def fail(self, error: Exception) -> None:
        """Answer the request by raising `error` in the caller."""
        self._answer(outcome.Error(error))

    def _answer(self, result: outcome.Outcome[T]) -> None:
        if self._answered:
            raise RuntimeError(f"request to {self._inbox.name} answered twice")
        self._answered = True
        self._inbox._pending.discard(self)
        self._settle(result)

    def _settle(self, result: outcome.Outcome[T]) -> None:
        # First outcome wins: an answer racing the inbox's close cannot overwrite it.
        if self._outcome is None:
            self._outcome = result
            self._settled.set()


class Inbox(Generic[M]):
    """An actor's bounded mailbox; the actor reads it, the outside gets `handle`.

    Use it as a context manager around the actor's whole life, so that however
    the actor ends, senders get ActorGone instead of waiting on a dead inbox:

        with self._inbox:
            task_status.started(self._inbox.handle)
            async for message in self._inbox:
                ...
    """

    def __init__(self, capacity: int, overflow: Overflow, *, name: str) -> None:
        if capacity < 1:
            raise ValueError("an inbox holds at least one message")
        self.name = name
        self.capacity = capacity
        self.overflow = overflow
        self.dropped = 0
        self._send, self._receive = trio.open_memory_channel[M](capacity)
        self._pending: set[Reply[Any]] = set()
        self._overflowed = False
        self._closed = False
        self.handle = Handle(self)

    async def receive(self) -> M:
        """The next message; MailboxOverflow once a CLOSE inbox has overflowed."""
        if self._overflowed:
            raise MailboxOverflow(self.name)
        return await self._receive.receive()

    def receive_nowait(self) -> M:
        """The next message if one is queued, else trio.WouldBlock; MailboxOverflow as receive."""
        if self._overflowed:
            raise MailboxOverflow(self.name)
        return self._receive.receive_nowait()

    def receive_run(
        self, first: R, kind: type[R], full: Callable[[list[R]], bool]
    ) -> tuple[list[R], M | None]:
        """``first`` and the messages of ``kind`` queued right behind it, until the run
        is ``full``; and the message that ended the run, if one did, for the caller to
        handle next. Never waits."""
        run = [first]
        while not full(run):
            try:
                message = self.receive_nowait()
            except trio.WouldBlock:
                break
            if not isinstance(message, kind):
                return run, message
            run.append(message)
        return run, None

    def __aiter__(self) -> Inbox[M]:
        return self

    async def __anext__(self) -> M:
        return await self.receive()

    def close(self) -> None:
        """Stop taking messages: queued ones are discarded, waiting callers get ActorGone."""
        if self._closed:
            return
        self._closed = True
        self._receive.close()
        for reply in self._pending:
            reply._settle(outcome.Error(ActorGone(self.name)))
        self._pending.clear()

    def __enter__(self) -> Inbox[M]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _put(self, message: M, *, request: bool) -> None:
        if self._closed:
            raise ActorGone(self.name)
        if self._overflowed:
            # The actor is on its way out; only a caller waiting for an answer must know.
            if request:
                raise ActorGone(self.name)
            self.dropped += 1
            return
        try:
            self._send.send_nowait(message)
            return
        except trio.WouldBlock:
            pass
        policy = Overflow.REJECT if request else self.overflow
        if policy is Overflow.REJECT:
            raise MailboxFull(self.name)
        self.dropped += 1
        if policy is Overflow.DROP_OLDEST:
            self._evict(self._receive.receive_nowait())
            self._send.send_nowait(message)
        elif policy is Overflow.CLOSE:
            self._overflowed = True
            logger.info("%s fell %d messages behind; closing its inbox", self.name, self.capacity)

    def _evict(self, message: M) -> None:
        for reply in self._pending:
            if reply._request is message:
                self._pending.discard(reply)
                reply._settle(outcome.Error(MailboxFull(self.name)))
                return


class Handle(Generic[M]):
    """The outside's only way to reach an actor: never blocks the sender."""

    __slots__ = ("_inbox",)

    def __init__(self, inbox: Inbox[M]) -> None:
        self._inbox = inbox

    @property
    def name(self) -> str:
        return self._inbox.name

    @property
    def capacity(self) -> int:
        return self._inbox.capacity

    @property
    def overflow(self) -> Overflow:
        return self._inbox.overflow

    @property
    def depth(self) -> int:
        """Messages queued and not yet received."""
        return self._inbox._receive.statistics().current_buffer_used

    @property
    def dropped(self) -> int:
        """Messages lost to the overflow policy (REJECT ones are the sender's to count)."""
        return self._inbox.dropped

    def send_nowait(self, message: M) -> None:
        """Queue `message`; a full inbox applies the actor's overflow policy.

        Raises ActorGone if the actor has exited, MailboxFull under REJECT.
        """
        self._inbox._put(message, request=False)

    async def request(self, make_message: Callable[[Reply[T]], M], *, timeout: float) -> T:
        """Send `make_message(reply)` and wait at most `timeout` seconds for the answer.

        Raises what the actor passed to `reply.fail`, RequestTimeout, MailboxFull
        if the inbox has no room, or ActorGone as soon as the actor exits unanswered.
        """
        reply: Reply[T] = Reply(self._inbox)
        message = make_message(reply)
        self._inbox._put(message, request=True)
        # The request holds its reply and, while pending, the reply its request (for
        # an eviction to find it). Both links are let go below, and a failure's
        # traceback keeps none of this frame's locals, so no cycle is left for the
        # collector: a wave's requests filled its young generations, and their
        # collections held the loop.
        reply._request = message
        self._inbox._pending.add(reply)
        try:
            with trio.move_on_after(timeout):
                await reply._settled.wait()
        finally:
            # A caller that gave up takes its request out of the inbox's books; a
            # late answer then lands nowhere, harmlessly.
            self._inbox._pending.discard(reply)
            reply._request = None
        result = reply._outcome
        del reply, message
        if result is None:
            raise RequestTimeout(f"{self.name} did not answer within {timeout} s")
        try:
            return result.unwrap()
        finally:
            del result

    def __repr__(self) -> str:
        return f"<Handle {self.name} {self.depth}/{self.capacity}>"
