"""Blocks: what they end, what they hide, what the reference refuses, and their limit."""

from __future__ import annotations

import httpx

from courtside.http.social.rules import MAX_BLOCKS
from courtside.persistence import Database
from tests.accounts import make_guest, make_user

from .graph import BLOCKED, FRIENDS, REQUESTS, ask, befriend, block, listed, profile
from .records import stored_user


async def test_a_block_ends_the_friendship_and_requests_both_ways(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    await befriend(client, alice, bob)
    assert (await ask(client, alice, "carol")).status_code == 201
    await block(client, alice, bob.id)
    assert (await ask(client, dave := await make_user(client, "dave"), "alice")).status_code == 201
    assert (await block(client, carol, alice.id)).status_code == 201
    assert (await block(client, alice, dave.id)).status_code == 201

    assert await listed(client, FRIENDS, alice) == await listed(client, FRIENDS, bob) == []
    assert await listed(client, REQUESTS, alice) == []
    assert await listed(client, f"{REQUESTS}received/", carol) == []
    assert await listed(client, REQUESTS, dave) == []
    assert await listed(client, f"{REQUESTS}received/", alice) == []


async def test_the_blocker_is_hidden_from_the_blocked(client: httpx.AsyncClient) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    blocked = await block(client, alice, bob.id)
    assert blocked.status_code == 201, blocked.text
    body = blocked.json()
    assert set(body) == {"id", "blocked", "blocked_at"}
    assert body["blocked"]["id"] == bob.id

    hidden = await profile(client, bob, alice.id)
    assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found")
    found = (await client.get("/api/users/?q=alice", headers=bob.headers)).json()
    assert (found["count"], found["results"]) == (0, [])
    seen_by_alice = (await profile(client, alice, bob.id)).json()
    assert (seen_by_alice["is_blocked"], seen_by_alice["is_blocked_by"]) == (True, False)
    searched_by_alice = (await client.get("/api/users/?q=bob", headers=alice.headers)).json()
    assert [(u["username"], u["is_blocked"]) for u in searched_by_alice["results"]] == [("bob", True)]

    assert [b["blocked"]["id"] for b in await listed(client, BLOCKED, alice)] == [bob.id]
    assert (await client.delete(f"{BLOCKED}{body['id']}/", headers=bob.headers)).status_code == 404
    assert (await client.delete(f"{BLOCKED}{body['id']}/", headers=alice.headers)).status_code == 204
    assert (await client.delete(f"{BLOCKED}{body['id']}/", headers=alice.headers)).status_code == 404
    visible = await profile(client, bob, alice.id)
    assert visible.status_code == 200
    assert (visible.json()["is_blocked_by"], visible.json()["is_friend"]) == (False, False)
    assert (await client.get("/api/users/?q=alice", headers=bob.headers)).json()["count"] == 1


async def test_blocks_the_reference_refuses(client: httpx.AsyncClient) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    guest = await make_guest(client)

    def refused(response: httpx.Response, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        assert response.json()["code"] == code

    refused(await client.post(BLOCKED, json={}, headers=alice.headers), 400, "invalid")
    refused(await block(client, alice, "bob"), 400, "invalid")  # type: ignore[arg-type]
    refused(await block(client, alice, alice.id), 403, "block_self")
    refused(await block(client, alice, 999_999), 404, "not_found")
    refused(await block(client, alice, guest.id), 404, "not_found")
    assert (await block(client, alice, bob.id)).status_code == 201
    refused(await block(client, alice, bob.id), 409, "already_blocked")
    refused(await block(client, bob, alice.id), 404, "not_found")
    # A guest may block: only being blocked is closed to guests.
    assert (await block(client, guest, alice.id)).status_code == 201


async def test_blocks_are_limited(client: httpx.AsyncClient, database: Database) -> None:
    alice = await make_user(client, "alice")
    for n in range(MAX_BLOCKS):
        assert (await block(client, alice, await stored_user(database, f"pest_{n}"))).status_code == 201
    over = await block(client, alice, await stored_user(database, "one_too_many"))
    assert (over.status_code, over.json()["code"]) == (403, "too_many_blocks")

    page = (await client.get(BLOCKED, headers=alice.headers)).json()
    assert page["count"] == MAX_BLOCKS
    assert len(page["results"]) == 20
    assert page["results"][0]["blocked"]["username"] == f"pest_{MAX_BLOCKS - 1}"
    await client.delete(f"{BLOCKED}{page['results'][0]['id']}/", headers=alice.headers)
    assert (await block(client, alice, await stored_user(database, "another"))).status_code == 201


async def test_ids_beyond_any_row_are_404_never_500(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    huge = 2**70
    for method, path in (
        ("GET", f"/api/users/{huge}/"),
        ("GET", f"{REQUESTS}{huge}/"),
        ("POST", f"{REQUESTS}{huge}/"),
        ("DELETE", f"{REQUESTS}{huge}/"),
        ("DELETE", f"{FRIENDS}{huge}/"),
        ("DELETE", f"{BLOCKED}{huge}/"),
    ):
        response = await client.request(method, path, headers=alice.headers)
        assert response.status_code == 404, (method, path, response.text)
    assert (await block(client, alice, huge)).status_code == 404
