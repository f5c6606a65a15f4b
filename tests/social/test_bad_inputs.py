"""Bad input to the social graph's endpoints: refused with a 4xx, never a 500."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_user

FRIEND_REQUESTS = "/api/users/me/friend_requests/"
FRIENDS = "/api/users/me/friends/"
PAST_A_BIGINT = 2**63


async def test_a_username_with_a_nul_is_refused(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    response = await client.post(FRIEND_REQUESTS, json={"username": "bo\x00b"},
                                 headers=alice.headers)
    assert (response.status_code, list(response.json()["errors"])) == (400, ["username"])


async def test_ids_past_a_bigint_are_not_found(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    for method, url in (("GET", f"{FRIEND_REQUESTS}{PAST_A_BIGINT}/"),
                        ("POST", f"{FRIEND_REQUESTS}{PAST_A_BIGINT}/"),
                        ("DELETE", f"{FRIEND_REQUESTS}{PAST_A_BIGINT}/"),
                        ("GET", f"{FRIENDS}{PAST_A_BIGINT}/"),
                        ("DELETE", f"{FRIENDS}{PAST_A_BIGINT}/")):
        response = await client.request(method, url, headers=alice.headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), (
            method, url, response.text)


async def test_a_login_with_a_nul_in_the_username_fails_as_any_unknown_name(
    client: httpx.AsyncClient, node: Node
) -> None:
    response = await client.post("/api/auth/login/",
                                 json={"username": "bo\x00b", "password": "correct-horse-42"})
    assert response.status_code in (400, 401), response.text
