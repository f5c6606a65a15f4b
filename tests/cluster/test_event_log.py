"""The user channel's event log on one node: numbering, replay window, catch-up."""

from __future__ import annotations

import httpx
import trio

from courtside.actors.hub import CONNECTION_BACKLOG, REPLAY_PER_USER
from courtside.persistence import Database
from courtside.persistence.user_events import UserEvents
from courtside.server.node import Node
from tests.accounts import make_user


async def test_replay_keeps_the_newest_events_of_the_window(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bus = node.services.bus
    async with bus.connect(alice.id) as live:
        for n in range(REPLAY_PER_USER + 5):
            bus.publish_to_user(alice.id, "many", {"n": n})
        with trio.fail_after(10):
            first = await live.events.receive()
            for _ in range(REPLAY_PER_USER + 4):
                last = await live.events.receive()
    assert last.data["n"] == REPLAY_PER_USER + 4 and last.id > first.id
    async with bus.connect(alice.id, last_event_id=first.id - 1) as back:
        replayed = [event.data["n"] for event in back.replay]
    assert replayed == list(range(5, REPLAY_PER_USER + 5))


async def test_expired_events_are_not_replayed_and_are_swept(database: Database) -> None:
    log = UserEvents(database)
    [event_id] = await log.append([((7,), b'{"name":"old","data":{}}')], "unheard", lambda *_: "{}")
    assert [i for i, _ in await log.replay(7, 0, seconds=300, limit=10)] == [event_id]
    assert await log.replay(7, 0, seconds=0, limit=10) == []
    assert await log.forget_older_than(0) == 1
    assert await log.since(0) == []


async def test_a_new_connection_gets_only_what_comes_after_it_opened(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bus = node.services.bus
    bus.publish_to_user(alice.id, "before", {})
    await trio.sleep(0.5)  # committed, maybe not yet heard
    for _ in range(CONNECTION_BACKLOG // 2):  # some still in the outbox as the connection opens
        bus.publish_to_user(alice.id, "just-before", {})
    async with bus.connect(alice.id) as live:
        bus.publish_to_user(alice.id, "after", {})
        with trio.fail_after(10):
            assert (await live.events.receive()).name == "after"
