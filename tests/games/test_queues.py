"""Joining and leaving the duel and ranked queues."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_guest, make_user

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


async def test_joins_on_their_way_are_queued_once_and_can_be_left(
    fast_clock: MockClock, client: httpx.AsyncClient
) -> None:
    carol, dave = await make_user(client, "carol"), await make_user(client, "dave")
    answers: dict[str, list[int]] = {"twice": [], "then_left": []}

    async def join(account, into: str) -> None:
        answers[into].append((await client.post("/api/play/duel/", headers=account.headers)).status_code)

    async def leave(account, into: str) -> None:
        answers[into].append((await client.delete("/api/play/duel/", headers=account.headers)).status_code)

    # Sent together, so the second arrives while the first one's claim is on its way.
    async with trio.open_nursery() as nursery:
        nursery.start_soon(join, carol, "twice")
        nursery.start_soon(join, carol, "twice")
        nursery.start_soon(join, dave, "then_left")
        await trio.sleep(0)
        nursery.start_soon(leave, dave, "then_left")
    assert sorted(answers["twice"]) == [201, 409]
    assert sorted(answers["then_left"]) == [201, 204]
    # dave is not queued, nor engaged: he may join again, and leave once.
    assert (await client.post("/api/play/duel/", headers=dave.headers)).status_code == 201
    assert (await client.delete("/api/play/duel/", headers=dave.headers)).status_code == 204
    assert (await client.delete("/api/play/duel/", headers=dave.headers)).status_code == 404
