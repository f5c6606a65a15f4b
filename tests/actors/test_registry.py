"""The registry: names to live handles, kept current by the supervisor."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
import trio
from trio.testing import MockClock

from courtside.actors import (
    ActorGone,
    Backoff,
    Handle,
    Inbox,
    NameTaken,
    Overflow,
    Registry,
    Reply,
    Restart,
    Supervisor,
)

Status = trio.TaskStatus[Handle[Any]]


class Post(msgspec.Struct, frozen=True, tag=True):
    text: str


class History(msgspec.Struct, frozen=True, tag=True):
    reply: Reply[list[str]]


class Crash(msgspec.Struct, frozen=True, tag=True):
    pass


class ChatRoom:
    """Keeps the room's messages; a Crash message stands in for a bug."""

    def __init__(self, room: str) -> None:
        self._inbox = Inbox[Post | History | Crash](8, Overflow.DROP_NEWEST, name=room)
        self._messages: list[str] = []

    async def run(self, *, task_status: Status = trio.TASK_STATUS_IGNORED) -> None:
        with self._inbox:
            task_status.started(self._inbox.handle)
            async for message in self._inbox:
                match message:
                    case Post(text=text):
                        self._messages.append(text)
                    case History(reply=reply):
                        reply.send(list(self._messages))
                    case Crash():
                        raise RuntimeError("chat room bug")


def test_a_name_holds_one_handle_at_a_time() -> None:
    registry = Registry()
    first = Inbox[Post](4, Overflow.DROP_NEWEST, name="chat:1").handle
    second = Inbox[Post](4, Overflow.DROP_NEWEST, name="chat:1").handle
    registry.register("chat:1", first)
    with pytest.raises(NameTaken):
        registry.register("chat:1", second)
    assert registry.lookup("chat:1") is first
    assert registry.lookup("chat:2") is None


def test_only_the_registered_handle_can_leave() -> None:
    registry = Registry()
    stale = Inbox[Post](4, Overflow.DROP_NEWEST, name="chat:1").handle
    current = Inbox[Post](4, Overflow.DROP_NEWEST, name="chat:1").handle
    registry.register("chat:1", current)
    registry.unregister("chat:1", stale)
    assert registry.lookup("chat:1") is current
    registry.unregister("chat:1", current)
    assert registry.lookup("chat:1") is None
    assert len(registry) == 0


async def test_metrics_see_the_mailbox_depth_of_every_actor_by_kind() -> None:
    registry = Registry()
    lobby = Inbox[Post](4, Overflow.DROP_NEWEST, name="lobby:ab")
    registry.register("lobby:ab", lobby.handle)
    matches = [Inbox[Post](4, Overflow.DROP_NEWEST, name=f"match:{i}") for i in range(600)]
    for match in matches:  # more than one chunk of the scan
        registry.register(match.name, match.handle)
    matches[0].handle.send_nowait(Post("hi"))
    matches[-1].handle.send_nowait(Post("again"))
    assert await registry.depth_by_kind() == {"lobby": 0, "match": 2}


async def test_a_supervised_actor_is_registered_across_restarts_and_leaves_on_exit(
    autojump_clock: MockClock,
) -> None:
    registry = Registry()
    supervisor = Supervisor(registry=registry, backoff=Backoff(base=1))
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            first = await supervisor.start(
                lambda: ChatRoom("chat:42"), name="chat:42", restart=Restart.ON_FAILURE
            )
            assert registry.lookup("chat:42") is first
            first.send_nowait(Post("hello"))
            first.send_nowait(Crash())
            await trio.sleep(0.5)
            assert registry.lookup("chat:42") is None  # crashed, waiting out its backoff
            with pytest.raises(ActorGone):
                first.send_nowait(Post("anyone?"))
            await trio.sleep(1)
            second = registry.lookup("chat:42")
            assert second is not None and second is not first
            second.send_nowait(Post("back"))
            assert await second.request(History, timeout=1) == ["back"]
            await supervisor.stop("chat:42")
            assert registry.lookup("chat:42") is None
            nursery.cancel_scope.cancel()


async def test_an_actor_that_ends_on_its_own_leaves_the_registry(
    autojump_clock: MockClock,
) -> None:
    registry = Registry()
    supervisor = Supervisor(registry=registry)
    ended = trio.Event()
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            room = await supervisor.start(
                lambda: ChatRoom("chat:7"), name="chat:7", on_exit=lambda name, error: ended.set()
            )
            room.send_nowait(Crash())
            await ended.wait()
            assert registry.lookup("chat:7") is None
            assert len(registry) == 0
            nursery.cancel_scope.cancel()


async def test_a_supervisor_will_not_start_a_child_under_a_taken_name(
    autojump_clock: MockClock,
) -> None:
    registry = Registry()
    elsewhere = Inbox[Post](4, Overflow.DROP_NEWEST, name="queue:ranked").handle
    registry.register("queue:ranked", elsewhere)
    supervisor = Supervisor(registry=registry)
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            await nursery.start(supervisor.run)
            with pytest.raises(NameTaken):
                await supervisor.start(
                    lambda: ChatRoom("queue:ranked"),
                    name="queue:ranked",
                    restart=Restart.ON_FAILURE,
                )
            assert registry.lookup("queue:ranked") is elsewhere
            assert supervisor.live_by_kind() == {}
            nursery.cancel_scope.cancel()
