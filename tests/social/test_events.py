"""The friendship events each change publishes, heard on the bus as the user channel hears them.

End-to-end delivery over /sse/users/ and /ws/ is the live channel's to test.
"""

from __future__ import annotations

import httpx

from courtside.persistence import Database, Social
from courtside.server.node import Node
from tests.accounts import DEFAULT_PASSWORD, make_user

from .graph import (
    BLOCKED,
    FRIENDS,
    REQUESTS,
    ask,
    befriend,
    block,
    heard_nothing_else,
    listed,
    next_event,
    online,
)


async def test_a_request_accepted_then_a_friendship_ended(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    async with online(node, alice) as alice_hears, online(node, bob) as bob_hears:
        request = (await ask(client, alice, "bob")).json()
        name, data = await next_event(bob_hears)
        assert name == "receive-friend-request"
        assert data == {**request, "username": "alice"}

        accepted = (await client.post(f"{REQUESTS}{request['id']}/", headers=bob.headers)).json()
        name, data = await next_event(alice_hears)
        assert name == "accept-friend-request"
        assert (data["id"], data["friend"]["id"], data["username"]) == (accepted["id"], bob.id, "bob")
        assert set(data) == set(accepted) | {"username"}

        await client.delete(f"{FRIENDS}{accepted['id']}/", headers=alice.headers)
        assert await next_event(bob_hears) == ("delete-friend", {"id": accepted["id"]})
        assert await heard_nothing_else(node, alice, alice_hears)
        assert await heard_nothing_else(node, bob, bob_hears)


async def test_asking_back_tells_the_first_asker_of_the_acceptance(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    await ask(client, alice, "bob")
    async with online(node, alice) as alice_hears:
        friendship = (await ask(client, bob, "alice")).json()
        name, data = await next_event(alice_hears)
        assert (name, data["id"], data["friend"]["id"]) == ("accept-friend-request", friendship["id"], bob.id)


async def test_rejected_and_cancelled_requests(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    to_bob = (await ask(client, alice, "bob")).json()["id"]
    to_carol = (await ask(client, alice, "carol")).json()["id"]
    async with online(node, alice) as alice_hears, online(node, carol) as carol_hears:
        await client.delete(f"{REQUESTS}{to_bob}/", headers=bob.headers)
        assert await next_event(alice_hears) == ("reject-friend-request", {"id": to_bob})
        await client.delete(f"{REQUESTS}{to_carol}/", headers=alice.headers)
        assert await next_event(carol_hears) == ("cancel-friend-request", {"id": to_carol})
        assert await heard_nothing_else(node, alice, alice_hears)


async def test_a_block_tells_what_it_ended(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol, dave = [
        await make_user(client, name) for name in ("alice", "bob", "carol", "dave")
    ]
    friendship_id = await befriend(client, alice, bob)
    to_carol = (await ask(client, alice, "carol")).json()["id"]
    from_dave = (await ask(client, dave, "alice")).json()["id"]
    async with (
        online(node, alice) as alice_hears,
        online(node, bob) as bob_hears,
        online(node, carol) as carol_hears,
        online(node, dave) as dave_hears,
    ):
        await block(client, alice, carol.id)
        # Cancelling by blocking is told to both sides.
        assert await next_event(carol_hears) == ("cancel-friend-request", {"id": to_carol})
        assert await next_event(alice_hears) == ("cancel-friend-request", {"id": to_carol})
        await block(client, alice, dave.id)
        assert await next_event(dave_hears) == ("reject-friend-request", {"id": from_dave})
        await block(client, alice, bob.id)
        assert await next_event(bob_hears) == ("delete-friend", {"id": friendship_id})
        for account, hears in ((alice, alice_hears), (bob, bob_hears), (dave, dave_hears)):
            assert await heard_nothing_else(node, account, hears)


async def test_deleting_the_account_ends_every_tie_and_tells_the_others(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    alice, bob, carol, dave, eve, fay = [
        await make_user(client, name) for name in ("alice", "bob", "carol", "dave", "eve", "fay")
    ]
    friendship_id = await befriend(client, alice, bob)
    to_carol = (await ask(client, alice, "carol")).json()["id"]
    from_dave = (await ask(client, dave, "alice")).json()["id"]
    await block(client, alice, eve.id)
    await block(client, fay, alice.id)
    async with (
        online(node, bob) as bob_hears,
        online(node, carol) as carol_hears,
        online(node, dave) as dave_hears,
    ):
        deleted = await client.request(
            "DELETE", "/api/users/me/", json={"password": DEFAULT_PASSWORD}, headers=alice.headers
        )
        assert deleted.status_code == 204
        assert await next_event(bob_hears) == ("delete-friend", {"id": friendship_id})
        assert await next_event(carol_hears) == ("cancel-friend-request", {"id": to_carol})
        assert await next_event(dave_hears) == ("reject-friend-request", {"id": from_dave})

    assert await listed(client, FRIENDS, bob) == []
    assert await listed(client, f"{REQUESTS}received/", carol) == []
    assert await listed(client, REQUESTS, dave) == []
    assert await listed(client, BLOCKED, fay) == []
    # Eve, whom alice had blocked, is free of it.
    assert await Social(database).blocker_ids(eve.id) == []
