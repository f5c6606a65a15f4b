"""Concurrent requests never leave one user in two engagements at once."""

from __future__ import annotations

import httpx
import trio

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import TOURNAMENT

TIMEOUT = 30.0


async def test_a_lobby_opened_while_a_tournament_is_created_does_not_make_two_engagements(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    answers: dict[str, httpx.Response] = {}

    async def create(kind: str, url: str, body: dict[str, object]) -> None:
        answers[kind] = await client.post(url, json=body, headers=alice.headers)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            nursery.start_soon(create, "tournament", TOURNAMENT, {"name": "Cup", "size": 4})
            await trio.sleep(0.005)  # the tournament's rows are being written meanwhile
            nursery.start_soon(create, "lobby", "/api/play/lobby/", {"game_mode": "custom_game"})
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [201, 409], {kind: a.text for kind, a in answers.items()}
