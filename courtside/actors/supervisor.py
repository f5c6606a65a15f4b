"""Supervisors: run actors as children, contain their crashes, restart those that should return.

Each child runs in its own task and cancel scope inside the supervisor's nursery;
an exception in a child is logged and ends that child alone. Whether it comes back
is the supervisor's decision, never the actor's: a match is not restarted (it
records itself as aborted); a chat room is, after a backoff, until it fails too
often and is given up, which makes the supervisor unhealthy.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter, deque
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import trio

from courtside.actors.handle import Handle
from courtside.actors.registry import NameTaken, Registry, kind_of

logger = logging.getLogger(__name__)


class Killed(Exception):
    """What a child ended by ``Supervisor.kill`` counts as having crashed with."""


class Actor(Protocol):
    """Anything a supervisor can run: it calls task_status.started(handle) once ready."""

    async def run(self, *, task_status: trio.TaskStatus[Handle[Any]] = ...) -> None: ...


class Restart(enum.Enum):
    """What the supervisor does when a child raises; a child that returns stays gone."""

    NEVER = enum.auto()
    ON_FAILURE = enum.auto()


@dataclass(frozen=True)
class Backoff:
    """Delay before a restart: base * factor**k seconds, at most cap.

    k counts the child's restarts still inside the intensity window, so a child
    that has run quietly for that long starts again from base.
    """

    base: float = 0.1
    factor: float = 2.0
    cap: float = 30.0


@dataclass(frozen=True)
class Intensity:
    """A child restarted max_restarts times within `within` seconds is given up."""

    max_restarts: int = 5
    within: float = 60.0


# May be a coroutine function: it is awaited, shielded, for at most ON_EXIT_TIMEOUT.
OnExit = Callable[[str, Exception | None], Awaitable[None] | None]
ON_EXIT_TIMEOUT = 5.0


@dataclass(eq=False)
class _Child:
    """One supervised name, and the task_status each of its incarnations reports to."""

    name: str
    factory: Callable[[], Actor]
    restart: Restart
    on_exit: OnExit | None
    registry: Registry | None
    vital: bool
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    done: trio.Event = field(default_factory=trio.Event)
    restarted_at: deque[float] = field(default_factory=deque)
    caller: trio.TaskStatus[Handle[Any]] | None = None  # start()'s, until the first started()
    handed_over: bool = False
    handle: Handle[Any] | None = None  # the running incarnation's, once it has started
    incarnation: trio.CancelScope | None = None  # the running one's, for kill()

    def started(self, handle: Handle[Any] | None = None) -> None:
        if self.handle is not None:
            raise RuntimeError(f"{self.name} called started twice")
        if not isinstance(handle, Handle):
            raise TypeError(f"{self.name} started with {handle!r}, not a Handle")
        if self.registry is not None:
            self.registry.register(self.name, handle)
        self.handle = handle
        if self.caller is not None:
            caller, self.caller = self.caller, None
            self.handed_over = True
            caller.started(handle)


class Supervisor:
    """Runs actors as named children; a child's crash never reaches its siblings.

    Start it with `await nursery.start(supervisor.run)`. Cancelling it, or
    `await supervisor.shutdown()`, stops the children one at a time in reverse
    start order, each running its cleanup before the next is cancelled.
    `restarts` counts restarts, `restarts_by_kind` the same by kind, for metrics.
    """

    def __init__(
        self,
        *,
        registry: Registry | None = None,
        backoff: Backoff = Backoff(),
        intensity: Intensity = Intensity(),
    ) -> None:
        self._registry = registry
        self._backoff = backoff
        self._intensity = intensity
        self._children: dict[str, _Child] = {}
        # Kept as children come and go: read by every heartbeat and scrape, and a
        # count over thousands of children would hold the loop for milliseconds.
        self._by_kind: Counter[str] = Counter()
        self._failed: list[str] = []
        self._vital_failed = False
        self._nursery: trio.Nursery | None = None
        self._shutting_down = trio.Event()
        self._finished = trio.Event()
        self.restarts = 0
        self.restarts_by_kind: Counter[str] = Counter()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Supervise until cancelled or shut down."""
        try:
            async with trio.open_nursery() as watch:
                watch.start_soon(self._shut_down_when_cancelled)
                # Children live under a shield so that cancelling the supervisor stops
                # them newest first, each finishing its cleanup, rather than all at
                # once. Until a child calls started() it still runs under start()'s
                # caller, whose deadline applies as usual.
                with trio.CancelScope(shield=True):
                    async with trio.open_nursery() as self._nursery:
                        task_status.started()
                        await self._shutting_down.wait()
                        for child in reversed(list(self._children.values())):
                            await self._stop(child)
                watch.cancel_scope.cancel()
        finally:
            self._finished.set()

    async def _shut_down_when_cancelled(self) -> None:
        try:
            await trio.sleep_forever()
        finally:
            self._shutting_down.set()

    async def shutdown(self) -> None:
        """Stop every child, newest first, and end run()."""
        if self._nursery is None:
            raise RuntimeError("the supervisor is not running")
        self._shutting_down.set()
        await self._finished.wait()

    async def start(
        self,
        factory: Callable[[], Actor],
        *,
        name: str,
        restart: Restart = Restart.NEVER,
        on_exit: OnExit | None = None,
        vital: bool = False,
    ) -> Handle[Any]:
        """Run `factory()` as the child `name`; return its handle once it has started.

        `factory` is called again for each restart. A child that raises before it
        starts is not restarted: its exception comes out of start(). `on_exit(name,
        exception or None)` is called once, when a started child is gone for good.
        A `vital` child given up makes the supervisor unhealthy: the node cannot
        serve without it (the hub, the queues), whereas losing one chat room, lobby
        or tournament is that actor's failure alone.
        """
        if self._nursery is None or self._shutting_down.is_set():
            raise RuntimeError("the supervisor is not running")
        if name in self._children:
            raise NameTaken(name)
        child = _Child(name, factory, restart, on_exit, self._registry, vital)
        self._children[name] = child
        self._by_kind[kind_of(name)] += 1
        # Named as the actor, so the loop-step log says which one held the loop.
        handle: Handle[Any] = await self._nursery.start(self._run_child, child, name=child.name)
        return handle

    async def stop(self, name: str) -> None:
        """Cancel the child `name` and wait for its cleanup; nothing if it is not running."""
        child = self._children.get(name)
        if child is not None:
            await self._stop(child)

    def kill(self, name: str) -> bool:
        """End the running incarnation of `name` at once, as if it had crashed: it
        runs its cleanup and is restarted as its policy says (an operator's tool for a
        stuck actor, and the fault the hardening tests inject). False if none runs."""
        child = self._children.get(name)
        if child is None or child.incarnation is None or child.handle is None:
            return False
        child.incarnation.cancel()
        return True

    async def _stop(self, child: _Child) -> None:
        child.scope.cancel()
        await child.done.wait()

    @property
    def failed(self) -> tuple[str, ...]:
        """Children given up after failing more often than the intensity allows."""
        return tuple(self._failed)

    @property
    def stopping(self) -> bool:
        """Shutting down: children end because the process does, not on their own."""
        return self._shutting_down.is_set()

    @property
    def is_healthy(self) -> bool:
        """Running, not shutting down, and no vital child given up: what /readyz reports."""
        return (self._nursery is not None and not self._shutting_down.is_set()
                and not self._vital_failed)

    def live_by_kind(self) -> dict[str, int]:
        """Children under supervision per kind, counting those waiting to restart."""
        return {kind: count for kind, count in self._by_kind.items() if count}

    async def _run_child(self, child: _Child, *, task_status: trio.TaskStatus[Handle[Any]]) -> None:
        ended_by: Exception | None = None
        child.caller = task_status
        try:
            with child.scope:
                ended_by = await self._incarnate(child)
                while (
                    ended_by is not None
                    and child.restart is Restart.ON_FAILURE
                    and not child.scope.cancel_called  # it crashed while being stopped
                ):
                    delay = self._restart_delay(child)
                    if delay is None:
                        self._failed.append(child.name)
                        self._vital_failed |= child.vital
                        logger.error("giving up %s: it keeps failing", child.name)
                        break
                    logger.warning("restarting %s in %g s", child.name, delay)
                    await trio.sleep(delay)
                    child.restarted_at.append(trio.current_time())
                    self.restarts += 1
                    self.restarts_by_kind[kind_of(child.name)] += 1
                    ended_by = await self._incarnate(child)
        except Exception as exc:
            if not child.handed_over:
                raise
            # Raised while being cancelled: the scope took the Cancelled, this remained.
            logger.error("%s failed while stopping", child.name, exc_info=exc)
            ended_by = exc
        finally:
            # Reported while the name is still held, so a successor started under it
            # comes after the owner's bookkeeping (a released lease, say), not before.
            if child.handed_over and child.on_exit is not None:
                await _report_exit(child.on_exit, child.name, ended_by)
            del self._children[child.name]
            self._by_kind[kind_of(child.name)] -= 1
            child.done.set()

    async def _incarnate(self, child: _Child) -> Exception | None:
        """Run a fresh actor for `child`; return what it crashed with, None if it returned."""
        try:
            with trio.CancelScope() as child.incarnation:
                await child.factory().run(task_status=child)
            if child.incarnation.cancelled_caught:
                logger.error("%s was killed", child.name)
                return Killed(child.name)
        except Exception as exc:
            if not child.handed_over:
                raise
            logger.error("%s crashed", child.name, exc_info=exc)
            return exc
        finally:
            child.incarnation = None
            # Before any backoff: a lookup must never find a dead incarnation.
            if self._registry is not None and child.handle is not None:
                self._registry.unregister(child.name, child.handle)
            child.handle = None
        return None

    def _restart_delay(self, child: _Child) -> float | None:
        """Seconds to wait before restarting `child`, None once it has used up its intensity."""
        now = trio.current_time()
        recent = child.restarted_at
        while recent and recent[0] <= now - self._intensity.within:
            recent.popleft()
        if len(recent) >= self._intensity.max_restarts:
            return None
        return min(self._backoff.cap, self._backoff.base * self._backoff.factor ** len(recent))


async def _report_exit(on_exit: OnExit, name: str, ended_by: Exception | None) -> None:
    try:
        reported = on_exit(name, ended_by)
        if inspect.isawaitable(reported):
            # The owner's bookkeeping (freeing users in the database) outlives a shutdown.
            with trio.CancelScope(shield=True), trio.move_on_after(ON_EXIT_TIMEOUT):
                await reported
    except Exception:
        # The owner's bookkeeping failing must not take the supervisor down with it.
        logger.exception("on_exit for %s raised", name)
