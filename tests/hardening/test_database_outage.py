"""PostgreSQL away: every REST answer is a prompt 503 in the envelope, never a 500 or a
hang, and the server serves again once it is back, without a restart."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import trio

from courtside.persistence.database import CONNECTION_TIMEOUT
from courtside.server.node import Node
from tests.accounts import make_user

# Each request waits at most the pool's connection timeout, plus the password hash.
ANSWER_WITHIN = CONNECTION_TIMEOUT + 5


async def test_rest_answers_503_while_the_database_is_away_then_recovers(
    client: httpx.AsyncClient, node: Node, database_outage: Callable
) -> None:
    alice = await make_user(client, "alice")
    async with database_outage():
        for method, path, body in (
            ("GET", "/api/users/?q=bo", None),
            ("POST", "/api/auth/register/", {"username": "bob", "password": "correct-horse-42"}),
            ("GET", "/api/users/me/", None),
            ("GET", "/readyz", None),
        ):
            with trio.fail_after(ANSWER_WITHIN):
                response = await client.request(method, path, json=body, headers=alice.headers)
            assert response.status_code == 503, (path, response.text)
            assert response.json()["code"] == "database_unavailable", (path, response.text)
    with trio.fail_after(ANSWER_WITHIN * 2):
        while (await client.get("/readyz")).status_code != 200:
            await trio.sleep(0.2)
    assert (await make_user(client, "bob")).username == "bob"
    me = await client.get("/api/users/me/", headers=alice.headers)
    assert me.status_code == 200, me.text
