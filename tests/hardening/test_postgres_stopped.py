"""PostgreSQL itself stopped for 10 s while a match plays (a server of the test's own,
stopped and started again): REST and /readyz answer 503 at once, the match keeps
ticking and ends on time, its result is written once PostgreSQL is back, the user's
socket stays open, and the node serves again without a restart."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio

from courtside.persistence import EmbeddedPostgres
from courtside.persistence.database import CONNECTION_TIMEOUT
from courtside.server.config import Config
from courtside.server.node import Node
from tests.games.test_match_records import counter
from tests.games.conftest import playing, queue_pair, until_recorded
from tests.live.conftest import user_socket

OUTAGE = 10.0
ANSWER_WITHIN = CONNECTION_TIMEOUT + 5  # a request waits at most for a pool connection
STATES_FOR = 3.0  # seconds of the match watched while the database is away
STALL = 0.5  # a gap between two states this long would be a stalled match
BACK_WITHIN = 60.0  # PostgreSQL's start, then the record's next retry


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    # mkdtemp makes the folder 0700; the server may run as another account (root).
    root = Path(tempfile.mkdtemp(prefix="courtside-outage-"))
    root.chmod(0o755)
    # A fixed socket directory: started again, the server is where the node left it.
    server = EmbeddedPostgres(root / "postgres", durable=False, socket_dir=root / "socket")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def config(config: Config, own_postgres: EmbeddedPostgres) -> Config:
    return dataclasses.replace(config, database_url=own_postgres.url(), seat_timeout_seconds=30.0)


async def _refused(client: httpx.AsyncClient, path: str, headers: dict[str, str]) -> None:
    with trio.fail_after(ANSWER_WITHIN):
        response = await client.get(path, headers=headers)
    assert response.status_code == 503, (path, response.text)
    assert response.json()["code"] == "database_unavailable", (path, response.text)


async def test_a_stopped_database_stops_no_match_and_loses_no_result(
    client: httpx.AsyncClient, node: Node, own_postgres: EmbeddedPostgres
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    async with (
        user_socket(node, alice) as alices_channel,
        playing(start, alice, bob) as (alices_game, bobs_game),
    ):
        await trio.to_thread.run_sync(own_postgres.stop)
        stopped_at = trio.current_time()

        async with trio.open_nursery() as nursery:
            nursery.start_soon(_refused, client, "/readyz", {})
            nursery.start_soon(_refused, client, "/api/users/me/", alice.headers)
            longest_gap, last = 0.0, trio.current_time()
            while trio.current_time() - stopped_at < STATES_FOR:
                with trio.fail_after(STALL * 2):
                    await alices_game.until("game_state_update")
                longest_gap, last = max(longest_gap, trio.current_time() - last), trio.current_time()
        assert longest_gap < STALL

        # The match ends while the database is away: the player hears it at once.
        await bobs_game.send("report_left")
        with trio.fail_after(2):
            ended = await alices_game.until("game_ended")
        assert ended["winner_id"] == alice.id

        await trio.sleep(max(0.0, OUTAGE - (trio.current_time() - stopped_at)))
        await trio.to_thread.run_sync(own_postgres.start)
        with trio.fail_after(BACK_WITHIN):
            while (await client.get("/readyz")).status_code != 200:
                await trio.sleep(0.2)
            await until_recorded(node, start["code"])

        # The user's socket lived through it.
        await alices_channel.send("ping")
        assert (await alices_channel.receive())["type"] == "pong"

    assert (await client.get("/api/users/me/", headers=alice.headers)).status_code == 200
    history = (await client.get(f"/api/users/{alice.id}/matches/", headers=alice.headers)).json()
    assert [match["code"] for match in history["results"]] == [start["code"]]
    assert await counter(client, "courtside_match_records_lost_total") == 0
    # Its players are free again: they may queue.
    for player in (alice, bob):
        assert (await client.post("/api/play/duel/", headers=player.headers)).status_code == 201
