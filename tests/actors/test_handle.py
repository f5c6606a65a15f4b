"""Handles: sending without blocking, overflow policies, request and reply."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from typing import Any

import msgspec
import pytest
import trio
from trio.testing import MockClock, wait_all_tasks_blocked

from courtside.actors import (
    ActorGone,
    Handle,
    Inbox,
    MailboxFull,
    MailboxOverflow,
    Overflow,
    Reply,
    RequestTimeout,
)

Status = trio.TaskStatus[Handle[Any]]


class AddPoint(msgspec.Struct, frozen=True, tag=True):
    player: str


class GetScore(msgspec.Struct, frozen=True, tag=True, weakref=True):
    player: str
    reply: Reply[int]


class Explode(msgspec.Struct, frozen=True, tag=True):
    reply: Reply[int]


class UnknownPlayer(Exception):
    pass


class Boom(Exception):
    pass


class Scoreboard:
    """Counts points per player and answers score requests."""

    def __init__(self) -> None:
        self._inbox = Inbox[AddPoint | GetScore | Explode](8, Overflow.REJECT, name="scoreboard")
        self._scores: Counter[str] = Counter()

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with self._inbox:
            task_status.started(self._inbox.handle)
            async for message in self._inbox:
                match message:
                    case AddPoint(player=player):
                        self._scores[player] += 1
                    case GetScore(player=player, reply=reply) if player in self._scores:
                        reply.send(self._scores[player])
                    case GetScore(player=player, reply=reply):
                        reply.fail(UnknownPlayer(player))
                    case Explode():
                        raise Boom


class Backlog:
    """Reads nothing until released, then records what it reads: a consumer falling behind."""

    def __init__(self, overflow: Overflow, capacity: int = 3) -> None:
        self.inbox = Inbox[Any](capacity, overflow, name="client:7")
        self.release = trio.Event()
        self.received: list[Any] = []
        self.overflowed = False

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with self.inbox:
            task_status.started(self.inbox.handle)
            await self.release.wait()
            try:
                async for message in self.inbox:
                    self.received.append(message)
            except MailboxOverflow:
                self.overflowed = True  # a client actor closes its socket here


async def read_backlog(overflow: Overflow, sent: range) -> Backlog:
    """Sends `sent` to a stalled Backlog, then lets it read everything it kept."""
    backlog = Backlog(overflow)
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(backlog.run)
        for message in sent:
            handle.send_nowait(message)
        backlog.release.set()
        await wait_all_tasks_blocked()
        nursery.cancel_scope.cancel()
    return backlog


async def test_scoreboard_answers_a_score_request(autojump_clock: MockClock) -> None:
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            board = await nursery.start(Scoreboard().run)
            board.send_nowait(AddPoint("ann"))
            board.send_nowait(AddPoint("ann"))
            score = await board.request(lambda reply: GetScore("ann", reply), timeout=1)
            nursery.cancel_scope.cancel()
    assert score == 2


@pytest.mark.parametrize("player", ["ann", "bob"])  # answered, and failed (bob has no score)
async def test_an_answered_request_is_freed_at_once_not_left_to_the_collector(
    autojump_clock: MockClock, player: str
) -> None:
    """A pending request and its reply hold each other; once answered, with a value or
    an error, they must not be left in a cycle: a wave of players' requests filled the
    collector's young generations, and their collections held the loop for milliseconds."""
    sent: list[weakref.ref[GetScore]] = []
    errors: list[weakref.ref[UnknownPlayer]] = []

    def get_score(reply: Reply[int]) -> GetScore:
        message = GetScore(player, reply)
        sent.append(weakref.ref(message))
        return message

    gc.disable()
    try:
        with trio.fail_after(5):
            async with trio.open_nursery() as nursery:
                board = await nursery.start(Scoreboard().run)
                board.send_nowait(AddPoint("ann"))
                try:
                    assert await board.request(get_score, timeout=1) == 1
                except UnknownPlayer as failed:
                    errors.append(weakref.ref(failed))
                board.send_nowait(AddPoint("ann"))  # the board lets go of the request
                await wait_all_tasks_blocked()
                assert sent[0]() is None
                nursery.cancel_scope.cancel()
        # The board is gone, and with it the last hold on the reply: an error left
        # alive now would be in a cycle through its traceback.
        assert len(errors) == (player == "bob")
        assert all(error() is None for error in errors)
    finally:
        gc.enable()


async def test_a_request_the_actor_fails_raises_its_error_in_the_caller(
    autojump_clock: MockClock,
) -> None:
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            board = await nursery.start(Scoreboard().run)
            with pytest.raises(UnknownPlayer, match="bob"):
                await board.request(lambda reply: GetScore("bob", reply), timeout=1)
            nursery.cancel_scope.cancel()


async def test_an_unanswered_request_times_out_at_its_deadline(autojump_clock: MockClock) -> None:
    backlog = Backlog(Overflow.REJECT)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(backlog.run)
            asked_at = trio.current_time()
            with pytest.raises(TimeoutError) as timed_out:
                await handle.request(lambda reply: GetScore("ann", reply), timeout=2)
            assert isinstance(timed_out.value, RequestTimeout)
            assert trio.current_time() - asked_at == pytest.approx(2)
            nursery.cancel_scope.cancel()


async def test_a_late_answer_after_the_caller_gave_up_is_harmless(
    autojump_clock: MockClock,
) -> None:
    backlog = Backlog(Overflow.REJECT)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(backlog.run)
            with pytest.raises(RequestTimeout):
                await handle.request(lambda reply: GetScore("ann", reply), timeout=1)
            backlog.release.set()
            await wait_all_tasks_blocked()
            (late,) = backlog.received
            late.reply.send(3)
            nursery.cancel_scope.cancel()


async def test_answering_a_request_twice_is_a_bug(autojump_clock: MockClock) -> None:
    backlog = Backlog(Overflow.REJECT)
    answers: list[int] = []

    async def ask(handle: Handle[Any]) -> None:
        answers.append(await handle.request(lambda reply: GetScore("ann", reply), timeout=1))

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(backlog.run)
            nursery.start_soon(ask, handle)
            backlog.release.set()
            await wait_all_tasks_blocked()
            (question,) = backlog.received
            question.reply.send(1)
            with pytest.raises(RuntimeError, match="answered twice"):
                question.reply.fail(UnknownPlayer("ann"))
            await wait_all_tasks_blocked()
            nursery.cancel_scope.cancel()
    assert answers == [1]


async def test_a_request_queued_when_the_actor_stops_fails_at_once(
    autojump_clock: MockClock,
) -> None:
    backlog = Backlog(Overflow.REJECT)
    outcomes: list[BaseException] = []

    async def ask(handle: Handle[Any]) -> None:
        with pytest.raises(ActorGone) as gone:
            await handle.request(lambda reply: GetScore("ann", reply), timeout=10)
        outcomes.append(gone.value)

    with trio.fail_after(5):
        async with trio.open_nursery() as callers:
            async with trio.open_nursery() as actors:
                handle = await actors.start(backlog.run)
                callers.start_soon(ask, handle)
                await wait_all_tasks_blocked()
                assert handle.depth == 1
                actors.cancel_scope.cancel()
    assert len(outcomes) == 1
    assert trio.current_time() < 10


async def test_a_request_in_flight_when_the_actor_crashes_fails_at_once(
    autojump_clock: MockClock,
) -> None:
    outcomes: list[BaseException] = []

    async def ask(handle: Handle[Any]) -> None:
        with pytest.raises(ActorGone) as gone:
            await handle.request(Explode, timeout=10)
        outcomes.append(gone.value)

    with trio.fail_after(5):
        async with trio.open_nursery() as callers:
            with pytest.RaisesGroup(Boom):
                async with trio.open_nursery() as actors:
                    handle = await actors.start(Scoreboard().run)
                    callers.start_soon(ask, handle)
    assert len(outcomes) == 1
    assert trio.current_time() < 10


async def test_sending_to_an_actor_that_has_exited_raises_actor_gone(
    autojump_clock: MockClock,
) -> None:
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            board = await nursery.start(Scoreboard().run)
            nursery.cancel_scope.cancel()
    with pytest.raises(ActorGone):
        board.send_nowait(AddPoint("ann"))
    with pytest.raises(ActorGone):
        await board.request(lambda reply: GetScore("ann", reply), timeout=1)


async def test_drop_newest_keeps_the_first_messages(autojump_clock: MockClock) -> None:
    with trio.fail_after(5):
        backlog = await read_backlog(Overflow.DROP_NEWEST, range(5))
    assert backlog.received == [0, 1, 2]
    assert backlog.inbox.handle.dropped == 2


async def test_drop_oldest_keeps_the_latest_messages(autojump_clock: MockClock) -> None:
    with trio.fail_after(5):
        backlog = await read_backlog(Overflow.DROP_OLDEST, range(5))
    assert backlog.received == [2, 3, 4]
    assert backlog.inbox.handle.dropped == 2


async def test_reject_tells_the_sender_the_inbox_is_full(autojump_clock: MockClock) -> None:
    backlog = Backlog(Overflow.REJECT)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(backlog.run)
            for message in range(3):
                handle.send_nowait(message)
            with pytest.raises(MailboxFull):
                handle.send_nowait(3)
            assert (handle.depth, handle.capacity, handle.dropped) == (3, 3, 0)
            nursery.cancel_scope.cancel()


async def test_close_disconnects_a_client_that_fell_behind(autojump_clock: MockClock) -> None:
    with trio.fail_after(5):
        backlog = await read_backlog(Overflow.CLOSE, range(5))
    assert backlog.overflowed
    assert backlog.received == []
    with pytest.raises(ActorGone):
        backlog.inbox.handle.send_nowait(5)


async def test_a_request_is_never_dropped_silently(autojump_clock: MockClock) -> None:
    backlog = Backlog(Overflow.DROP_NEWEST)
    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(backlog.run)
            for message in range(3):
                handle.send_nowait(message)
            with pytest.raises(MailboxFull):
                await handle.request(lambda reply: GetScore("ann", reply), timeout=10)
            assert trio.current_time() == 0
            nursery.cancel_scope.cancel()


async def test_a_request_evicted_by_drop_oldest_fails_at_once(autojump_clock: MockClock) -> None:
    backlog = Backlog(Overflow.DROP_OLDEST)
    outcomes: list[BaseException] = []

    async def ask(handle: Handle[Any]) -> None:
        with pytest.raises(MailboxFull) as full:
            await handle.request(lambda reply: GetScore("ann", reply), timeout=10)
        outcomes.append(full.value)

    with trio.fail_after(5):
        async with trio.open_nursery() as nursery:
            handle = await nursery.start(backlog.run)
            nursery.start_soon(ask, handle)
            await wait_all_tasks_blocked()
            for message in range(3):
                handle.send_nowait(message)
            await wait_all_tasks_blocked()
            assert len(outcomes) == 1
            assert trio.current_time() == 0
            nursery.cancel_scope.cancel()


async def test_a_handle_describes_its_inbox() -> None:
    inbox = Inbox[int](4, Overflow.DROP_NEWEST, name="chat:42")
    inbox.handle.send_nowait(1)
    assert (inbox.handle.name, inbox.handle.capacity, inbox.handle.depth) == ("chat:42", 4, 1)
    assert inbox.handle.overflow is Overflow.DROP_NEWEST
    inbox.close()
