"""PostgreSQL itself stopped for 10 s under load (a server of the test's own, stopped
and started again): matches play, their players' user sockets are open and REST
clients keep asking. REST and /readyz answer 503 within the pool's timeout, never a
500 or a hang; the matches keep ticking and end on time, their results are written
once PostgreSQL is back, the sockets stay open, and the node serves again without a
restart."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
import trio

from courtside.persistence import EmbeddedPostgres
from courtside.persistence.database import CONNECTION_TIMEOUT
from courtside.server.config import Config
from courtside.server.node import Node
from tests.accounts import Account, make_user
from tests.games.test_match_records import counter
from tests.games.conftest import playing, queue_pair, until_recorded
from tests.live.conftest import user_socket

from .game_wire import Stream, defend

OUTAGE = 10.0
PAIRS = 4  # matches playing through the outage
REST_CLIENTS = 4
READS = ("/api/users/me/", "/api/users/?q=player", "/api/leaderboard/")
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


async def _keep_reading(client: httpx.AsyncClient, reader: Account, statuses: list[int],
                        until: trio.Event) -> None:
    """A REST client that goes on asking, whatever the answers: each within its bound,
    served (200) or refused in the envelope (503), nothing else."""
    n = 0
    while not until.is_set():
        path = READS[n % len(READS)]
        n += 1
        with trio.fail_after(ANSWER_WITHIN):
            response = await client.get(path, headers=reader.headers)
        assert response.status_code in (200, 503), (path, response.status_code, response.text)
        if response.status_code == 503:
            assert response.json()["code"] == "database_unavailable", response.text
            await trio.sleep(0.2)
        statuses.append(response.status_code)


async def test_a_stopped_database_stops_no_match_and_loses_no_result(
    client: httpx.AsyncClient, node: Node, own_postgres: EmbeddedPostgres
) -> None:
    pairs = []
    for n in range(PAIRS):
        players = (await make_user(client, f"player{n}a"), await make_user(client, f"player{n}b"))
        pairs.append(await queue_pair(client, node, players=players))
    readers = [await make_user(client, f"reader{n}") for n in range(REST_CLIENTS)]
    statuses: list[int] = []
    async with AsyncExitStack() as stack:
        channels = [await stack.enter_async_context(user_socket(node, first))
                    for first, _, _, _ in pairs]
        # Each match is defended from its first state on, so that none ends on points
        # and no player answers a backlog of states in a burst. The defenders end
        # with their sockets, which the server closes after game_ended.
        defenders = await stack.enter_async_context(trio.open_nursery())
        games, streams = [], []
        for first, second, start, _ in pairs:
            game_pair = await stack.enter_async_context(playing(start, first, second))
            stream_pair = (Stream(), Stream())
            for game, stream in zip(game_pair, stream_pair):
                defenders.start_soon(defend, game, stream)
            games.append(game_pair)
            streams.append(stream_pair)
        back = trio.Event()
        async with trio.open_nursery() as readers_nursery:
            for reader in readers:
                readers_nursery.start_soon(_keep_reading, client, reader, statuses, back)
            await trio.to_thread.run_sync(own_postgres.stop)
            stopped_at = trio.current_time()
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_refused, client, "/readyz", {})
                nursery.start_soon(_refused, client, "/api/users/me/", readers[0].headers)
                await trio.sleep(STATES_FOR)
            watched_until = trio.current_time()
            for first_stream, _ in streams:
                assert first_stream.longest_gap(stopped_at, watched_until) < STALL

            # The matches end while the database is away: the players hear it at once.
            for _, seconds_game in games:
                await seconds_game.send("report_left")
            with trio.fail_after(2):
                for (first, _, _, _), (first_stream, _) in zip(pairs, streams):
                    while not (ended := [m for m in first_stream.others if m["type"] == "game_ended"]):
                        await trio.sleep(0.05)
                    assert ended[0]["winner_id"] == first.id

            await trio.sleep(max(0.0, OUTAGE - (trio.current_time() - stopped_at)))
            await trio.to_thread.run_sync(own_postgres.start)
            with trio.fail_after(BACK_WITHIN):
                while (await client.get("/readyz")).status_code != 200:
                    await trio.sleep(0.2)
                for _, _, start, _ in pairs:
                    await until_recorded(node, start["code"])
            back.set()
        assert 503 in statuses and statuses[-1] == 200, statuses

        # The users' sockets lived through it.
        for channel in channels:
            await channel.send("ping")
            assert (await channel.receive())["type"] == "pong"

    for first, _, start, _ in pairs:
        history = (await client.get(f"/api/users/{first.id}/matches/", headers=first.headers)).json()
        assert [match["code"] for match in history["results"]] == [start["code"]]
    assert await counter(client, "courtside_match_records_lost_total") == 0
    # Their players are free again: they may queue.
    for first, second, _, _ in pairs:
        for player in (first, second):
            assert (await client.post("/api/play/duel/", headers=player.headers)).status_code == 201
