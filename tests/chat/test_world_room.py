"""The world chat's room with a crowd: fan-out in chunks reaches every member but the blockers."""

from __future__ import annotations

import contextlib

import trio

from courtside.actors import Registry, Supervisor
from courtside.actors.world_chat import FANOUT_CHUNK, WorldChat
from courtside.cluster import ClusterNode
from courtside.persistence import Database, Users

CROWD = 2 * FANOUT_CHUNK + 7  # three chunks, the last one short
BLOCKERS = 3


async def _crowd(database: Database) -> list[int]:
    """CROWD users who joined the world chat."""
    rows = await database.fetch(
        "INSERT INTO users (username, nickname)"
        " SELECT 'fan' || n, 'fan' || n FROM generate_series(1, %s) AS n RETURNING id",
        CROWD, write=True,
    )
    ids = [user_id for (user_id,) in rows]
    await database.execute(
        "INSERT INTO world_chat_members (user_id) SELECT unnest(%s::bigint[])", ids
    )
    return ids


async def test_a_message_reaches_a_crowd_in_chunks_less_those_who_blocked_its_author(
    database: Database,
) -> None:
    members = await _crowd(database)
    author = await Users(database).create(username="author", nickname="author")
    blockers = members[FANOUT_CHUNK - 1:FANOUT_CHUNK - 1 + BLOCKERS]  # across a chunk border
    await database.execute(
        "INSERT INTO blocks (blocker_id, blocked_id) SELECT unnest(%s::bigint[]), %s",
        blockers, author.id,
    )

    registry = Registry()
    supervisor = Supervisor(registry=registry)
    async with trio.open_nursery() as nursery:
        await nursery.start(supervisor.run)
        cluster = ClusterNode(database, registry)
        await cluster.start(nursery, supervisor, game_url="ws://localhost:1")
        bus = cluster.bus
        world = await WorldChat.start(
            supervisor=supervisor, database=database, bus=bus,
            render_message=lambda message: {"id": message.id, "content": message.content},
        )
        async with contextlib.AsyncExitStack() as stack:
            connections = {user_id: await stack.enter_async_context(bus.connect(user_id))
                           for user_id in members}
            posted = await world.post(author.id, "hello, crowd")
            for user_id in members:
                bus.publish_to_user(user_id, "test-marker", {})
            with trio.fail_after(10):
                heard = {user_id: (await connection.events.receive()).name
                         for user_id, connection in connections.items()}
        assert {user_id for user_id, name in heard.items() if name == "test-marker"} \
            == set(blockers)
        assert {user_id for user_id, name in heard.items() if name == "receive-message"} \
            == set(members) - set(blockers)
        assert posted.message.content == "hello, crowd"
        nursery.cancel_scope.cancel()
