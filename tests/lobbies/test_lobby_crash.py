"""A lobby that crashes frees its members and says so; its restart rebuilds nothing."""

from __future__ import annotations

from typing import Any

import trio
from trio.testing import MockClock

from courtside.actors import Lobbies, Registry, Supervisor
from courtside.actors.lobby_messages import Person, Settings, Show
from courtside.cluster import ClusterNode
from courtside.persistence import Database
from tests.conftest import ALONE


class RecordingBus:
    def __init__(self) -> None:
        self.events: list[tuple[tuple[int, ...], str, dict[str, Any]]] = []

    def publish(self, user_ids, name, data, kwargs=None) -> None:
        self.events.append((tuple(user_ids), name, data))

    def publish_to_user(self, user_id, name, data, kwargs=None) -> None:
        self.publish((user_id,), name, data, kwargs)


async def no_match(spec) -> None:
    raise AssertionError("no match starts here")


async def test_a_crashed_lobby_destroys_itself_and_frees_its_members(
    database_clock: MockClock, database: Database
) -> None:
    registry = Registry()
    supervisor = Supervisor(registry=registry)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        cluster = ClusterNode(database, registry, heartbeat_seconds=ALONE)
        await cluster.start(nursery, supervisor, game_url="ws://localhost:1")
        engagements = cluster.engagements
        lobbies = Lobbies(supervisor=supervisor, engagements=engagements,
                          bus=cluster.bus, database=database, start_match=no_match)
        alice = Person(1, "alice", "Alice", False, {})
        async with cluster.bus.connect(1) as alices:
            lobby = await lobbies.create(alice, Settings("custom_game", "1v1", 5))
            assert await engagements.of(1) == f"lobby:{lobby['code']}"
            handle = registry.lookup(f"lobby:{lobby['code']}")
            handle.send_nowait(Show(1, None))  # a request with no way back: the lobby fails on it
            await trio.sleep(5)  # past the restart backoff
            assert await engagements.of(1) is None
            told = await alices.events.receive()
        assert (told.name, told.data) == ("lobby-destroy", {"code": lobby["code"]})
        assert registry.lookup(f"lobby:{lobby['code']}") is None
        assert supervisor.restarts == 1 and supervisor.is_healthy
        await supervisor.shutdown()
        nursery.cancel_scope.cancel()
