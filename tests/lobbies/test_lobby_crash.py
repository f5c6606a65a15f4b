"""A lobby that crashes frees its members and says so; its restart rebuilds nothing."""

from __future__ import annotations

from typing import Any

import trio
from trio.testing import MockClock

from courtside.actors import Engagements, Lobbies, Registry, Supervisor
from courtside.actors.lobby_messages import Person, Settings, Show
from courtside.persistence import Database


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
    database_clock: MockClock, database: Database, engagements: Engagements
) -> None:
    registry, bus = Registry(), RecordingBus()
    supervisor = Supervisor(registry=registry)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        lobbies = Lobbies(supervisor=supervisor, registry=registry, engagements=engagements,
                          bus=bus, database=database, start_match=no_match)
        alice = Person(1, "alice", "Alice", False, {})
        lobby = await lobbies.create(alice, Settings("custom_game", "1v1", 5))
        assert await engagements.of(1) == f"lobby:{lobby['code']}"
        handle = registry.lookup(f"lobby:{lobby['code']}")
        handle.send_nowait(Show(1, None))  # a request with no way back: the lobby fails on it
        await trio.sleep(5)  # past the restart backoff
        assert await engagements.of(1) is None
        assert bus.events == [((1,), "lobby-destroy", {"code": lobby["code"]})]
        assert registry.lookup(f"lobby:{lobby['code']}") is None
        assert supervisor.restarts == 1 and supervisor.is_healthy
        await supervisor.shutdown()
