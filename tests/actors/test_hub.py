"""The notification hub on its own: replay window, presence announcements, restarts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
import trio
from trio.testing import MockClock

from courtside.actors import (
    HUB,
    Bus,
    Engagements,
    NotificationHub,
    Registry,
    Restart,
    Supervisor,
    UserPresence,
)
from courtside.actors.hub import REPLAY_PER_USER, REPLAY_SECONDS

FRIENDS = {1: [2, 3], 2: [1], 3: [1]}


@asynccontextmanager
async def running_hub(engagements: Engagements | None = None) -> AsyncIterator[tuple[Bus, list[int]]]:
    """A supervised hub with a fixed friend graph; yields the bus and who went offline."""
    offline: list[int] = []

    async def friends_of(user_id: int) -> list[int]:
        return FRIENDS.get(user_id, [])

    async def went_offline(user_id: int) -> None:
        offline.append(user_id)

    registry = Registry()
    supervisor = Supervisor(registry=registry)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        await supervisor.start(
            lambda: NotificationHub(
                engagements=engagements or Engagements(),
                friends_of=friends_of, went_offline=went_offline,
            ),
            name=HUB, restart=Restart.ON_FAILURE,
        )
        yield Bus(registry), offline
        nursery.cancel_scope.cancel()


async def test_replay_covers_the_window_and_no_further(autojump_clock: MockClock) -> None:
    async with running_hub() as (bus, _):
        async with bus.connect(1) as live:
            bus.publish_to_user(1, "old", {})
            first = await live.events.receive()
        await trio.sleep(REPLAY_SECONDS + 1)
        bus.publish_to_user(1, "recent", {"n": 1})
        for n in range(REPLAY_PER_USER + 5):
            bus.publish_to_user(1, "many", {"n": n})
        async with bus.connect(1, last_event_id=first.id) as back:
            names = [event.name for event in back.replay]
        # The expired event is gone, and only the newest REPLAY_PER_USER are kept.
        assert names == ["many"] * REPLAY_PER_USER
        assert [e.data["n"] for e in back.replay][-1] == REPLAY_PER_USER + 4


async def test_only_online_friends_hear_presence_and_last_seen_is_written(
    autojump_clock: MockClock,
) -> None:
    engagements = Engagements()
    async with running_hub(engagements) as (bus, offline):
        async with bus.connect(2) as friend:
            async with bus.connect(1):
                came = await friend.events.receive()
                assert (came.name, came.data) == (
                    "presence", {"user_id": 1, "is_online": True, "game_playing": None},
                )
                engagements.claim([1], "match:abc")
                bus.presence_changed([1])
                playing = await friend.events.receive()
                assert playing.data["game_playing"] == "abc"
                assert await bus.presence([1, 3]) == {
                    1: UserPresence(is_online=True, game_playing="abc"),
                    3: UserPresence(is_online=False, game_playing=None),
                }
            went = await friend.events.receive()
            assert went.data == {"user_id": 1, "is_online": False, "game_playing": "abc"}
            assert offline == [1]
        # User 3, a friend of 1 but never online, was told nothing: nothing was kept for them.
        async with bus.connect(3, last_event_id=0) as late:
            assert late.replay == []


async def test_a_restarted_hub_numbers_events_above_its_predecessor(autojump_clock: MockClock) -> None:
    async with running_hub() as (bus, _):
        async with bus.connect(1) as live:
            bus.publish_to_user(1, "before", {})
            before = await live.events.receive()
            bus.publish((["not hashable"],), "a bug in the hub", {})  # type: ignore[arg-type]
            async for _ in live.events:
                pass
            assert live.cut_off == "notification hub stopped"
        await trio.sleep(1)  # the supervisor's backoff
        async with bus.connect(1, last_event_id=before.id) as again:
            bus.publish_to_user(1, "after", {})
            after = await again.events.receive()
        assert after.id > before.id


async def test_an_event_is_encoded_once_per_wire_format_for_all_its_connections(
    autojump_clock: MockClock,
) -> None:
    async with running_hub() as (bus, _):
        async with bus.connect(1) as tab, bus.connect(1) as other_tab:
            bus.publish_to_user(1, "receive-message", {"chat_id": 7}, {"sender": "ana"})
            one, other = await tab.events.receive(), await other_tab.events.receive()
    assert one.socket_frame is other.socket_frame and one.sse_frame is other.sse_frame
    assert msgspec.json.decode(one.socket_frame) == {
        "type": "receive-message", "id": one.id, "data": {"chat_id": 7}, "kwargs": {"sender": "ana"},
    }
    assert one.sse_frame == b'id: %d\nevent: receive-message\ndata: {"chat_id":7,"sender":"ana"}\n\n' % one.id
