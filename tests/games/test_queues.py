"""Joining and leaving the duel and ranked queues."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_guest, make_user
from tests.live.conftest import user_socket

from .conftest import queue_pair


async def test_joining_twice_or_while_in_a_match_is_a_conflict(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    carol = await make_user(client, "carol")
    joined = await client.post("/api/play/duel/", headers=carol.headers)
    assert joined.status_code == 201
    ticket = joined.json()
    assert (ticket["user_id"], ticket["game_mode"], ticket["trophies"]) == (carol.id, "duel", 1000)
    assert ticket["join_at"].endswith("Z")

    again = await client.post("/api/play/duel/", headers=carol.headers)
    assert (again.status_code, again.json()["code"]) == (409, "already_engaged")
    assert "duel" in again.json()["detail"]
    other_queue = await client.post("/api/play/ranked/", headers=carol.headers)
    assert other_queue.status_code == 409
    assert other_queue.json()["code"] == "already_engaged"

    # Refused twice, carol still holds her first place in the queue.
    left = await client.delete("/api/play/duel/", headers=carol.headers)
    assert left.status_code == 204
    assert (await client.delete("/api/play/duel/", headers=carol.headers)).status_code == 404

    alice, _, start, _ = await queue_pair(client, node)
    in_match = await client.post("/api/play/ranked/", headers=alice.headers)
    assert in_match.status_code == 409
    assert start["code"] in in_match.json()["detail"]


async def test_guests_may_duel_but_not_play_ranked(
    fast_clock: MockClock, client: httpx.AsyncClient
) -> None:
    guest = await make_guest(client)
    refused = await client.post("/api/play/ranked/", headers=guest.headers)
    assert refused.status_code == 403
    assert (await client.post("/api/play/duel/", headers=guest.headers)).status_code == 201


async def test_unknown_mode_is_not_a_queue(client: httpx.AsyncClient) -> None:
    carol = await make_user(client, "carol")
    assert (await client.post("/api/play/chess/", headers=carol.headers)).status_code == 404


async def test_two_joins_at_once_queue_the_player_once(
    fast_clock: MockClock, client: httpx.AsyncClient
) -> None:
    carol = await make_user(client, "carol")
    answers: list[int] = []

    async def join() -> None:
        answers.append((await client.post("/api/play/duel/", headers=carol.headers)).status_code)

    # Sent together: the second may arrive while the first one's claim is on its way.
    async with trio.open_nursery() as nursery:
        nursery.start_soon(join)
        nursery.start_soon(join)
    assert sorted(answers) == [201, 409]
    assert (await client.delete("/api/play/duel/", headers=carol.headers)).status_code == 204
    assert (await client.delete("/api/play/duel/", headers=carol.headers)).status_code == 404


async def test_a_player_a_restarted_queue_forgot_is_told_and_may_queue_again(
    client: httpx.AsyncClient, node: Node
) -> None:
    dana = await make_user(client, "dana")
    async with user_socket(node, dana) as channel:
        assert (await client.post("/api/play/ranked/", headers=dana.headers)).status_code == 201
        assert node.services.supervisor.kill("queue:ranked")
        event = await channel.next()
        assert (event.name, event.data) == ("queue-left", {"game_mode": "ranked"})
    with trio.fail_after(10):  # once the supervisor has restarted the queue
        while (joined := await client.post("/api/play/ranked/", headers=dana.headers)).status_code == 503:
            await trio.sleep(0.05)
    assert joined.status_code == 201, joined.text
