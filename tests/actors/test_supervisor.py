"""Supervisors: crash isolation, restarts with backoff, giving up, orderly shutdown."""

from __future__ import annotations

from functools import partial
from itertools import pairwise
from typing import Any

import pytest
import trio
from trio.testing import MockClock

from courtside.actors import (
    Backoff,
    Handle,
    Inbox,
    Intensity,
    Killed,
    NameTaken,
    Overflow,
    Restart,
    Supervisor,
)

Status = trio.TaskStatus[Handle[Any]]


class Boom(Exception):
    pass


class Ticker:
    """Counts once a second until stopped."""

    def __init__(self) -> None:
        self._inbox = Inbox[object](4, Overflow.DROP_NEWEST, name="clock")
        self.ticks = 0
        self.cleaned_up = False

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with self._inbox:
            task_status.started(self._inbox.handle)
            try:
                while True:
                    await trio.sleep(1)
                    self.ticks += 1
            finally:
                self.cleaned_up = True


class Crasher:
    """Starts, then raises after `after` seconds: a child with a bug."""

    def __init__(self, *, after: float = 0, starts: list[float] | None = None) -> None:
        self._inbox = Inbox[object](4, Overflow.DROP_NEWEST, name="crasher")
        self._after = after
        self._starts = starts if starts is not None else []

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with self._inbox:
            task_status.started(self._inbox.handle)
            self._starts.append(trio.current_time())
            await trio.sleep(self._after)
            raise Boom


class Finisher:
    """Starts and returns: a child whose work is done."""

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with Inbox[object](1, Overflow.REJECT, name="finisher") as inbox:
            task_status.started(inbox.handle)


class SlowToStop:
    """Takes a second of shielded cleanup, then notes when it finished."""

    def __init__(self, name: str, stopped: list[tuple[str, float]]) -> None:
        self._inbox = Inbox[object](1, Overflow.REJECT, name=name)
        self._stopped = stopped

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with self._inbox:
            task_status.started(self._inbox.handle)
            try:
                await trio.sleep_forever()
            finally:
                with trio.CancelScope(shield=True):
                    await trio.sleep(1)
                self._stopped.append((self._inbox.name, trio.current_time()))


class Exits:
    """Records how each child ended, and signals the first ending."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Exception | None]] = []
        self.first = trio.Event()

    def __call__(self, name: str, ended_by: Exception | None) -> None:
        self.seen.append((name, ended_by))
        self.first.set()


async def test_a_crashing_child_does_not_disturb_its_sibling(autojump_clock: MockClock) -> None:
    supervisor = Supervisor()
    ticker = Ticker()
    exits = Exits()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(lambda: ticker, name="clock:1")
            await supervisor.start(lambda: Crasher(after=2.5), name="match:ab12", on_exit=exits)
            await trio.sleep(10.5)
            assert ticker.ticks == 10
            assert supervisor.live_by_kind() == {"clock": 1}
            assert supervisor.is_healthy
            assert supervisor.restarts == 0
            await supervisor.shutdown()
    [(name, ended_by)] = exits.seen
    assert name == "match:ab12"
    assert isinstance(ended_by, Boom)
    assert ticker.cleaned_up


async def test_a_killed_child_runs_its_cleanup_and_restarts_as_a_crashed_one(
    autojump_clock: MockClock,
) -> None:
    supervisor = Supervisor()
    tickers: list[Ticker] = []
    exits = Exits()

    def ticker() -> Ticker:
        tickers.append(Ticker())
        return tickers[-1]

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(ticker, name="room:1", restart=Restart.ON_FAILURE)
            await supervisor.start(ticker, name="match:ab12", on_exit=exits)
            await trio.sleep(2.5)
            assert supervisor.kill("room:1") and supervisor.kill("match:ab12")
            assert not supervisor.kill("room:2")
            await trio.sleep(5)
            assert supervisor.restarts_by_kind == {"room": 1}
            assert supervisor.live_by_kind() == {"room": 1}
            await supervisor.shutdown()
    first_room, match, second_room = tickers
    assert first_room.cleaned_up and first_room.ticks == 2 and second_room.ticks > 0
    [(name, ended_by)] = exits.seen
    assert (name, type(ended_by), match.cleaned_up) == ("match:ab12", Killed, True)


async def restart_gaps(supervisor: Supervisor, name: str) -> list[float]:
    """Run a child that always crashes until it is given up; the gaps between its starts."""
    starts: list[float] = []
    exits = Exits()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(
                lambda: Crasher(starts=starts),
                name=name,
                restart=Restart.ON_FAILURE,
                on_exit=exits,
            )
            await exits.first.wait()
            nursery.cancel_scope.cancel()
    return [b - a for a, b in pairwise(starts)]


async def test_restarts_follow_exponential_backoff(autojump_clock: MockClock) -> None:
    supervisor = Supervisor(
        backoff=Backoff(base=0.1, factor=2, cap=30), intensity=Intensity(max_restarts=4, within=60)
    )
    assert await restart_gaps(supervisor, "chat:1") == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert supervisor.restarts == 4


async def test_backoff_never_waits_longer_than_its_cap(autojump_clock: MockClock) -> None:
    supervisor = Supervisor(
        backoff=Backoff(base=1, factor=10, cap=5), intensity=Intensity(max_restarts=3, within=100)
    )
    assert await restart_gaps(supervisor, "queue:ranked") == pytest.approx([1, 5, 5])


async def test_a_child_failing_too_often_is_given_up_and_the_supervisor_turns_unhealthy(
    autojump_clock: MockClock,
) -> None:
    supervisor = Supervisor(
        backoff=Backoff(base=0.5, factor=2, cap=30), intensity=Intensity(max_restarts=3, within=10)
    )
    ticker = Ticker()
    exits = Exits()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(lambda: ticker, name="presence:hub")
            assert supervisor.is_healthy
            await supervisor.start(
                lambda: Crasher(after=1),
                name="lobby:xy",
                restart=Restart.ON_FAILURE,
                on_exit=exits,
            )
            await exits.first.wait()
            # Crashes at 1, 2.5, 4.5, 7.5; restarts after 0.5, 1 and 2 s; then given up.
            assert trio.current_time() == pytest.approx(7.5)
            assert supervisor.failed == ("lobby:xy",)
            # One lost lobby is that lobby's failure, not the node's.
            assert supervisor.is_healthy
            assert supervisor.live_by_kind() == {"presence": 1}
            await trio.sleep(5)
            assert ticker.ticks == 12
            nursery.cancel_scope.cancel()
    [(name, ended_by)] = exits.seen
    assert name == "lobby:xy"
    assert isinstance(ended_by, Boom)


async def test_a_child_failing_rarely_is_restarted_from_the_base_delay_each_time(
    autojump_clock: MockClock,
) -> None:
    supervisor = Supervisor(
        backoff=Backoff(base=0.1, factor=2, cap=30), intensity=Intensity(max_restarts=2, within=10)
    )
    starts: list[float] = []
    with trio.fail_after(200):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(
                lambda: Crasher(after=20, starts=starts),
                name="tournament:cup",
                restart=Restart.ON_FAILURE,
            )
            await trio.sleep(100)
            assert supervisor.is_healthy
            assert supervisor.live_by_kind() == {"tournament": 1}
            nursery.cancel_scope.cancel()
    assert [b - a for a, b in pairwise(starts)] == pytest.approx([20.1] * 4)


async def test_a_child_that_returns_is_not_restarted(autojump_clock: MockClock) -> None:
    supervisor = Supervisor()
    exits = Exits()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(
                Finisher, name="chat:7", restart=Restart.ON_FAILURE, on_exit=exits
            )
            await exits.first.wait()
            await trio.sleep(10)
            assert supervisor.live_by_kind() == {}
            assert supervisor.restarts == 0
            nursery.cancel_scope.cancel()
    assert exits.seen == [("chat:7", None)]


async def test_stop_cancels_one_child_and_waits_for_its_cleanup(autojump_clock: MockClock) -> None:
    supervisor = Supervisor()
    stopped: list[tuple[str, float]] = []
    exits = Exits()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(
                lambda: SlowToStop("chat:1", stopped), name="chat:1", on_exit=exits
            )
            await supervisor.start(lambda: SlowToStop("chat:2", stopped), name="chat:2")
            await supervisor.stop("chat:1")
            assert [name for name, _ in stopped] == ["chat:1"]
            assert trio.current_time() == pytest.approx(1)
            assert supervisor.live_by_kind() == {"chat": 1}
            await supervisor.stop("chat:1")  # already gone: nothing to do
            nursery.cancel_scope.cancel()
    assert exits.seen == [("chat:1", None)]


@pytest.mark.parametrize("how", ["shutdown", "cancel"])
async def test_shutdown_stops_children_newest_first_each_finishing_its_cleanup(
    autojump_clock: MockClock, how: str
) -> None:
    supervisor = Supervisor()
    stopped: list[tuple[str, float]] = []
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            for name in ("lobby:a", "lobby:b", "lobby:c"):
                await supervisor.start(partial(SlowToStop, name, stopped), name=name)
            began = trio.current_time()
            if how == "shutdown":
                await supervisor.shutdown()
            else:
                nursery.cancel_scope.cancel()
    assert [name for name, _ in stopped] == ["lobby:c", "lobby:b", "lobby:a"]
    assert [at - began for _, at in stopped] == pytest.approx([1, 2, 3])
    assert not supervisor.is_healthy
    with pytest.raises(RuntimeError):
        await supervisor.start(Ticker, name="clock:late")


async def test_a_child_that_fails_before_starting_raises_in_the_caller(
    autojump_clock: MockClock,
) -> None:
    class BrokenAtBirth:
        async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
            raise Boom

    supervisor = Supervisor()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            with pytest.raises(Boom):
                await supervisor.start(BrokenAtBirth, name="match:zz", restart=Restart.ON_FAILURE)
            assert supervisor.live_by_kind() == {}
            assert supervisor.is_healthy
            nursery.cancel_scope.cancel()


async def test_the_callers_deadline_applies_until_the_child_has_started(
    autojump_clock: MockClock,
) -> None:
    class NeverReady:
        async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
            await trio.sleep_forever()

    supervisor = Supervisor()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            with trio.move_on_after(2) as waiting:
                await supervisor.start(NeverReady, name="match:slow")
            assert waiting.cancelled_caught
            assert supervisor.live_by_kind() == {}
            nursery.cancel_scope.cancel()


class FailsInCleanup:
    """Raises from its own cleanup when stopped."""

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with Inbox[object](1, Overflow.REJECT, name="chat:9") as inbox:
            task_status.started(inbox.handle)
            try:
                await trio.sleep_forever()
            finally:
                raise Boom  # the bug under test


class FailsInHelperCleanup:
    """A helper task raises from its cleanup when stopped, beside the Cancelled."""

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with Inbox[object](1, Overflow.REJECT, name="chat:9") as inbox:
            async with trio.open_nursery() as helpers:
                helpers.start_soon(self._raise_when_cancelled)
                task_status.started(inbox.handle)
                await trio.sleep_forever()

    async def _raise_when_cancelled(self) -> None:
        try:
            await trio.sleep_forever()
        finally:
            raise Boom  # the bug under test


@pytest.mark.parametrize("actor", [FailsInCleanup, FailsInHelperCleanup])
async def test_a_child_failing_while_being_stopped_is_logged_and_not_restarted(
    autojump_clock: MockClock, caplog: pytest.LogCaptureFixture, actor: type[Any]
) -> None:
    supervisor = Supervisor(intensity=Intensity(max_restarts=1, within=60))
    ticker = Ticker()
    exits = Exits()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(lambda: ticker, name="clock:1")
            await supervisor.start(actor, name="chat:9", restart=Restart.ON_FAILURE, on_exit=exits)
            await supervisor.stop("chat:9")
            await trio.sleep(3.5)
            assert ticker.ticks == 3
            assert supervisor.restarts == 0
            assert supervisor.is_healthy
            nursery.cancel_scope.cancel()
    [(name, ended_by)] = exits.seen
    assert name == "chat:9"
    assert isinstance(ended_by, Boom | ExceptionGroup)
    assert [r.levelname for r in caplog.records if "chat:9" in r.getMessage()] == ["ERROR"]


async def test_names_are_unique_among_live_children(autojump_clock: MockClock) -> None:
    supervisor = Supervisor()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            await supervisor.start(Ticker, name="match:ab12")
            with pytest.raises(NameTaken):
                await supervisor.start(Ticker, name="match:ab12")
            await supervisor.start(Ticker, name="match:cd34")
            await supervisor.start(Ticker, name="queue:ranked")
            assert supervisor.live_by_kind() == {"match": 2, "queue": 1}
            nursery.cancel_scope.cancel()
