"""The social graph's events as browsers get them: over /sse/users/ and /ws/ at once."""

from __future__ import annotations

import httpx
import pytest
import trio

from courtside.server.node import Node
from tests.accounts import DEFAULT_PASSWORD, make_user
from tests.games.conftest import forfeited_match
from tests.social.graph import REQUESTS, ask, befriend, block

from .conftest import SseClient, UserSocket, close_code, sse, user_socket


async def both(tabs: tuple[SseClient, UserSocket], count: int) -> list[tuple[str, dict]]:
    """The next ``count`` events, which both tabs must have heard identically."""
    over_sse = [await tabs[0].next() for _ in range(count)]
    over_ws = [await tabs[1].next() for _ in range(count)]
    assert over_sse == over_ws
    return [(event.name, event.data) for event in over_sse]


async def nothing_more(node: Node, user_id: int, tabs: tuple[SseClient, UserSocket]) -> None:
    """A marker published now is the next event of every tab: nothing else came."""
    node.services.bus.publish_to_user(user_id, "test-marker", {})
    assert [name for name, _ in await both(tabs, 1)] == ["test-marker"]


async def test_request_accept_block_produce_exactly_the_reference_events(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    async with sse(client, alice) as a1, user_socket(node, alice) as a2, \
            sse(client, bob) as b1, user_socket(node, bob, cookie=False) as b2:
        alices, bobs = (a1, a2), (b1, b2)

        request = (await ask(client, alice, "bob")).json()
        assert await both(bobs, 1) == [
            ("receive-friend-request", {**request, "username": "alice"}),
        ]
        friendship = (await client.post(f"{REQUESTS}{request['id']}/", headers=bob.headers)).json()
        [(name, data)] = await both(alices, 1)
        assert (name, data["id"], data["friend"]["id"], data["username"]) == (
            "accept-friend-request", friendship["id"], bob.id, "bob",
        )
        assert (await block(client, alice, bob.id)).status_code == 201
        assert await both(bobs, 1) == [("delete-friend", {"id": friendship["id"]})]

        await nothing_more(node, alice.id, alices)
        await nothing_more(node, bob.id, bobs)


async def test_friends_see_each_other_come_and_go(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    await befriend(client, alice, bob)
    async with user_socket(node, bob) as bobs:
        async with sse(client, alice):
            came = await bobs.next()
            assert (came.name, came.data) == (
                "presence", {"user_id": alice.id, "is_online": True, "game_playing": None},
            )
            status = (await client.get(f"/api/users/{alice.id}/", headers=bob.headers)).json()
            assert status["status"]["is_online"] is True
        went = await bobs.next()
        assert (went.name, went.data) == (
            "presence", {"user_id": alice.id, "is_online": False, "game_playing": None},
        )
    seen = (await client.get(f"/api/users/{alice.id}/", headers=bob.headers)).json()["status"]
    assert seen["is_online"] is False and seen["last_online"] is not None


async def test_friends_see_a_match_begin_and_end(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    await befriend(client, carol, alice)
    async with user_socket(node, carol) as carols:
        code = await forfeited_match(client, node, alice, bob)
        playing: list[str | None] = []
        with trio.fail_after(5):
            while playing[-2:] != [code, None]:
                event = await carols.next()
                assert event.name == "presence" and event.data["user_id"] == alice.id
                playing.append(event.data["game_playing"])


async def test_online_search_finds_whoever_holds_a_connection(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, _ = [await make_user(client, name) for name in ("alice", "bob", "bobby")]
    async with user_socket(node, bob):
        found = (await client.get("/api/users/?q=bob&online=true", headers=alice.headers)).json()
        assert [user["id"] for user in found["results"]] == [bob.id]
        assert found["results"][0]["status"]["is_online"] is True
    everyone = (await client.get("/api/users/?q=bob", headers=alice.headers)).json()
    assert everyone["count"] == 2


async def test_deleting_the_account_tells_the_other_tabs_and_closes_them(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    async with sse(client, alice) as tab_one, user_socket(node, alice) as tab_two:
        deleted = await client.request(
            "DELETE", "/api/users/me/", json={"password": DEFAULT_PASSWORD}, headers=alice.headers,
        )
        assert deleted.status_code == 204
        assert await both((tab_one, tab_two), 1) == [("user-delete", {"id": alice.id})]
        assert await close_code(tab_two) == 1000
        with pytest.raises(EOFError):
            await tab_one.next_frame()
