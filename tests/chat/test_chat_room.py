"""The chat room actor on its own clock: idle stops, racing starts, typing and send rates.

The database is real, so its calls take real time in worker threads: the tests
run on tests.conftest's database_clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from trio.testing import MockClock

from courtside.actors import Bus, ChatRooms, Connection, Registry, Supervisor
from courtside.actors.chat_room import (
    IDLE_TIMEOUT,
    SEND_BURST,
    SENDS_PER_SECOND,
    TYPING_EVERY,
    UNREAD_EVERY,
    room_name,
)
from courtside.cluster import ClusterNode
from tests.conftest import ALONE
from courtside.persistence import Chats, Database, Users
from courtside.protocol import Throttled

class Rooms:
    def __init__(self, rooms: ChatRooms, registry: Registry, supervisor: Supervisor,
                 bus: Bus) -> None:
        self.rooms, self.registry, self.supervisor, self.bus = rooms, registry, supervisor, bus

    def running(self, chat_id: int) -> bool:
        return self.registry.lookup(room_name(chat_id)) is not None


@asynccontextmanager
async def chat_rooms(database: Database) -> AsyncIterator[Rooms]:
    registry = Registry()
    supervisor = Supervisor(registry=registry)

    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        cluster = ClusterNode(database, registry, heartbeat_seconds=ALONE)
        await cluster.start(nursery, supervisor, game_url="ws://localhost:1")
        bus = cluster.bus
        rooms = ChatRooms(supervisor=supervisor, database=database, bus=bus,
                          render_message=lambda message: {"id": message.id})
        yield Rooms(rooms, registry, supervisor, bus)
        nursery.cancel_scope.cancel()


async def _dialogue(database: Database) -> tuple[int, int, int]:
    users = Users(database)
    alice = await users.create(username="alice", nickname="alice")
    bob = await users.create(username="bob", nickname="bob")
    async with database.transaction() as tx:
        chat_id = await Chats(tx).create_dialogue(alice.id, bob.id)
    return chat_id, alice.id, bob.id


async def _names(connection: Connection, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` events the connection hears, as (name, data)."""
    with trio.fail_after(5):
        return [((event := await connection.events.receive()).name, event.data)
                for _ in range(count)]


async def test_an_idle_room_stops_and_the_next_message_starts_it_again(
    database: Database, database_clock: MockClock
) -> None:
    chat_id, alice, bob = await _dialogue(database)
    async with chat_rooms(database) as rooms:
        first = await rooms.rooms.post(chat_id, alice, "hello")
        assert rooms.running(chat_id)
        await trio.sleep(IDLE_TIMEOUT - 1)
        await rooms.rooms.checked(chat_id, bob, None)  # activity restarts the idle wait
        await trio.sleep(IDLE_TIMEOUT - 1)
        assert rooms.running(chat_id)
        await trio.sleep(2)
        assert not rooms.running(chat_id)
        second = await rooms.rooms.post(chat_id, bob, "still here")
        assert rooms.running(chat_id)
        assert (first.message.seq, second.message.seq) == (1, 2)
        assert rooms.supervisor.restarts == 0


async def test_many_callers_at_once_start_one_room(database: Database, database_clock: MockClock) -> None:
    chat_id, alice, bob = await _dialogue(database)
    answers = []
    async with chat_rooms(database) as rooms:
        async with trio.open_nursery() as nursery:
            for n in range(20):
                async def check(user_id: int = (alice, bob)[n % 2]) -> None:
                    answers.append(await rooms.rooms.checked(chat_id, user_id, None))
                nursery.start_soon(check)
        assert len(answers) == 20
        assert rooms.supervisor.live_by_kind() == {"hub": 1, "chat": 1}


async def test_typing_passes_again_once_the_interval_is_over(
    database: Database, database_clock: MockClock
) -> None:
    chat_id, alice, bob = await _dialogue(database)
    async with chat_rooms(database) as rooms, rooms.bus.connect(bob) as bobs:
        for _ in range(3):
            await rooms.rooms.typing(chat_id, alice)
        await trio.sleep(TYPING_EVERY)
        await rooms.rooms.typing(chat_id, alice)
        await rooms.rooms.post(chat_id, alice, "done typing")
        typed = {"chat_id": chat_id, "user_id": alice}
        heard = await _names(bobs, 4)
        assert heard[:2] == [("typing", typed), ("typing", typed)]
        assert [name for name, _ in heard[2:]] == ["receive-message", "unread_messages"]


async def test_a_member_sending_too_fast_waits_for_the_bucket_to_refill(
    database: Database, database_clock: MockClock
) -> None:
    chat_id, alice, bob = await _dialogue(database)
    async with chat_rooms(database) as rooms:
        for n in range(SEND_BURST):
            await rooms.rooms.post(chat_id, alice, f"n{n}")
        with pytest.raises(Throttled):
            await rooms.rooms.post(chat_id, alice, "one too many")
        await rooms.rooms.post(chat_id, bob, "bob has his own budget")
        await trio.sleep(1 / SENDS_PER_SECOND)
        await rooms.rooms.post(chat_id, alice, "refilled")
        with pytest.raises(Throttled):
            await rooms.rooms.post(chat_id, alice, "spent again")


async def test_unread_counts_come_at_once_then_at_most_once_per_window(
    database: Database, database_clock: MockClock
) -> None:
    chat_id, alice, bob = await _dialogue(database)
    async with chat_rooms(database) as rooms, rooms.bus.connect(bob) as bobs:
        for n in range(5):
            await rooms.rooms.post(chat_id, alice, f"burst {n}")
        unread = [data for name, data in await _names(bobs, 6) if name == "unread_messages"]
        assert [u["amount_unseen"] for u in unread] == [1]
        await trio.sleep(UNREAD_EVERY)
        assert await _names(bobs, 1) == [("unread_messages", {
            "chat_id": chat_id, "amount_unseen": 5, "amount_total": 5,
        })]
        # The window that told nothing closes quietly; the next message is told at once.
        await trio.sleep(UNREAD_EVERY)
        await rooms.rooms.post(chat_id, alice, "after a pause")
        heard = await _names(bobs, 2)
        assert heard[1] == ("unread_messages", {"chat_id": chat_id, "amount_unseen": 6,
                                                "amount_total": 6})
        # A read tells the reader at once, whatever window is open.
        await rooms.rooms.post(chat_id, alice, "one more")
        await rooms.rooms.checked(chat_id, bob, None)
        heard = await _names(bobs, 2)
        assert heard[1] == ("unread_messages", {"chat_id": chat_id, "amount_unseen": 0,
                                                "amount_total": 7})
        await trio.sleep(UNREAD_EVERY)
        bobs_later = []
        with trio.move_on_after(UNREAD_EVERY):
            bobs_later.append(await bobs.events.receive())
        assert bobs_later == []
