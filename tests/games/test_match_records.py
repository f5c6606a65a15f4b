"""The end of a match: players hear it at once; its record follows, however long that takes."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node

from .conftest import game_client, get_ready, queue_pair

TIMEOUT = 120.0  # virtual seconds
UNWRITABLE = "ALTER TABLE match_players RENAME TO match_players_away"
WRITABLE = "ALTER TABLE match_players_away RENAME TO match_players"


async def forfeit_unwritable(client: httpx.AsyncClient, node: Node) -> tuple[str, dict]:
    """A queued pair plays until the second player leaves, with the table of match
    players out of the way meanwhile; the winner's game_ended."""
    alice, bob, start, _ = await queue_pair(client, node)
    async with game_client(start["ws_url"], alice) as a, game_client(start["ws_url"], bob) as b:
        await get_ready(a, b)
        await a.until("game_state_update")
        await node.database.execute(UNWRITABLE)
        await b.send("report_left")
        return start["code"], await a.until("game_ended")


async def counter(client: httpx.AsyncClient, name: str) -> float:
    metrics = (await client.get("/metrics")).text
    return float(next(line for line in metrics.splitlines() if line.startswith(f"{name} ")).split()[-1])


async def recorded(node: Node, code: str) -> bool:
    return await node.database.fetchval("SELECT count(*) FROM matches WHERE code = %s", code) == 1


async def test_players_hear_the_end_before_the_record_and_a_failed_write_is_retried(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    with trio.fail_after(TIMEOUT):
        code, ended = await forfeit_unwritable(client, node)
        assert ended["reason"] == "forfeit"
        assert not await recorded(node, code)  # game_ended did not wait for the write
        while await counter(client, "courtside_match_record_retries_total") == 0:
            await trio.sleep(0.1)
        await node.database.execute(WRITABLE)
        while not await recorded(node, code):
            await trio.sleep(0.1)
    assert await counter(client, "courtside_match_records_lost_total") == 0
    players = await node.database.fetchval(
        "SELECT count(*) FROM match_players JOIN matches ON matches.id = match_id WHERE code = %s",
        code,
    )
    assert players == 2  # the transaction that failed left nothing half-written


async def test_a_record_no_try_can_write_is_counted_lost(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    with trio.fail_after(TIMEOUT):
        code, _ = await forfeit_unwritable(client, node)
        while await counter(client, "courtside_match_records_lost_total") == 0:
            await trio.sleep(0.5)
    assert await counter(client, "courtside_match_record_retries_total") == 5
    assert not await recorded(node, code)
