"""The notification inbox over the real server: what a client that was away finds."""

from __future__ import annotations

import httpx
from courtside.server.node import Node
from tests.accounts import DEFAULT_PASSWORD, make_user
from tests.games.conftest import queue_pair
from tests.lobbies.conftest import LOBBY, create_lobby, joined
from tests.social.graph import REQUESTS, ask

from .conftest import INBOX, events, inbox, stored


async def test_an_offline_user_finds_the_friend_request_they_missed(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    sent = await ask(client, alice, "bob")  # bob holds no connection at all
    assert sent.status_code == 201
    await stored(node)

    page = await inbox(client, bob)
    assert (page["count"], page["unread_count"]) == (1, 1)
    [notification] = page["results"]
    assert notification["event"] == "receive-friend-request"
    assert notification["data"]["username"] == "alice"
    assert notification["data"]["id"] == sent.json()["id"]
    assert notification["is_read"] is False
    assert notification["created_at"].endswith("Z")
    assert (await inbox(client, alice))["count"] == 0


async def test_answers_to_a_request_reach_its_sender(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    to_bob = (await ask(client, alice, "bob")).json()["id"]
    to_carol = (await ask(client, alice, "carol")).json()["id"]
    assert (await client.post(f"{REQUESTS}{to_bob}/", headers=bob.headers)).status_code == 201
    assert (await client.delete(f"{REQUESTS}{to_carol}/", headers=carol.headers)).status_code == 204
    await stored(node)

    page = await inbox(client, alice)
    assert events(page) == ["reject-friend-request", "accept-friend-request"]
    assert page["results"][0]["data"] == {"id": to_carol}
    assert page["results"][1]["data"]["username"] == "bob"


async def test_chat_and_presence_are_not_kept(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    node.services.bus.publish_to_user(alice.id, "receive-message", {"content": "hi"})
    node.services.bus.publish_to_user(alice.id, "presence", {"user_id": 1, "is_online": True})
    node.services.bus.publish_to_user(alice.id, "lobby-banned", {"code": "abc"})
    await stored(node)
    assert events(await inbox(client, alice)) == ["lobby-banned"]


async def test_events_published_together_keep_their_order(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    for code in ("first", "second", "third"):  # queued at once: one batch for the store
        node.services.bus.publish_to_user(alice.id, "lobby-banned", {"code": code})
    await stored(node)
    page = await inbox(client, alice)
    assert [n["data"]["code"] for n in page["results"]] == ["third", "second", "first"]


async def test_being_banned_from_a_lobby_is_kept(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    await joined(client, code, bob)
    assert (await client.delete(f"{LOBBY}{code}/ban/{bob.id}/", headers=alice.headers)).status_code == 204
    await stored(node)
    [banned] = (await inbox(client, bob))["results"]
    assert (banned["event"], banned["data"]) == ("lobby-banned", {"code": code})


async def test_a_match_found_is_kept_for_both_players(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, alice_start, _ = await queue_pair(client, node)
    await stored(node)
    for player in (alice, bob):
        [found] = (await inbox(client, player))["results"]
        assert found["event"] == "game-start"
        assert found["data"]["code"] == alice_start["code"]
        assert found["data"]["ws_url"] == alice_start["ws_url"]


async def test_pages_run_newest_first_and_page_back_stably(
    client: httpx.AsyncClient, node: Node
) -> None:
    zoe = await make_user(client, "zoe")
    senders = [await make_user(client, f"fan{n}") for n in range(5)]
    for sender in senders:
        assert (await ask(client, sender, "zoe")).status_code == 201
    await stored(node)

    first = await inbox(client, zoe, "?limit=2")
    assert first["count"] == 5 and first["unread_count"] == 5
    assert [n["data"]["username"] for n in first["results"]] == ["fan4", "fan3"]
    assert first["previous"] is None
    second = (await client.get(first["next"], headers=zoe.headers)).json()
    assert [n["data"]["username"] for n in second["results"]] == ["fan2", "fan1"]

    # A new one arrives; paging back from the last one seen is not shifted by it.
    assert (await ask(client, await make_user(client, "latecomer"), "zoe")).status_code == 201
    await stored(node)
    older = await inbox(client, zoe, f"?before={second['results'][-1]['id']}")
    assert older["count"] == 1
    assert [n["data"]["username"] for n in older["results"]] == ["fan0"]
    assert older["unread_count"] == 6


async def test_mark_one_or_all_read_and_delete(client: httpx.AsyncClient, node: Node) -> None:
    zoe = await make_user(client, "zoe")
    for name in ("ann", "ben", "cat"):
        assert (await ask(client, await make_user(client, name), "zoe")).status_code == 201
    await stored(node)
    cat, ben, ann = (await inbox(client, zoe))["results"]

    read = await client.post(f"{INBOX}{ben['id']}/read/", headers=zoe.headers)
    assert read.status_code == 200
    assert (read.json()["id"], read.json()["is_read"]) == (ben["id"], True)
    again = await client.post(f"{INBOX}{ben['id']}/read/", headers=zoe.headers)
    assert (again.status_code, again.json()["is_read"]) == (200, True)
    page = await inbox(client, zoe)
    assert page["unread_count"] == 2
    assert [n["is_read"] for n in page["results"]] == [False, True, False]

    assert (await client.delete(f"{INBOX}{cat['id']}/", headers=zoe.headers)).status_code == 204
    assert (await client.delete(f"{INBOX}{cat['id']}/", headers=zoe.headers)).status_code == 404
    everything = await client.post(f"{INBOX}read/", headers=zoe.headers)
    assert everything.status_code == 200
    assert everything.json() == {"marked": 1, "unread_count": 0}
    page = await inbox(client, zoe)
    assert [n["id"] for n in page["results"]] == [ben["id"], ann["id"]]
    assert page["unread_count"] == 0 and all(n["is_read"] for n in page["results"])


async def test_nobody_reads_or_changes_another_users_notifications(
    client: httpx.AsyncClient, node: Node
) -> None:
    zoe, mallory = await make_user(client, "zoe"), await make_user(client, "mallory")
    assert (await ask(client, mallory, "zoe")).status_code == 201
    await stored(node)
    [theirs] = (await inbox(client, zoe))["results"]

    for response in (
        await client.post(f"{INBOX}{theirs['id']}/read/", headers=mallory.headers),
        await client.delete(f"{INBOX}{theirs['id']}/", headers=mallory.headers),
        await client.post(f"{INBOX}{2**63}/read/", headers=mallory.headers),
        await client.delete(f"{INBOX}{2**64}/", headers=mallory.headers),
    ):
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert (await client.post(f"{INBOX}read/", headers=mallory.headers)).json()["marked"] == 0
    page = await inbox(client, zoe)
    assert (page["count"], page["unread_count"]) == (1, 1)
    assert (await client.get(INBOX)).status_code == 401


async def test_a_deleted_account_leaves_no_inbox_behind(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, zoe = await make_user(client, "alice"), await make_user(client, "zoe")
    assert (await ask(client, alice, "zoe")).status_code == 201
    await stored(node)
    deleted = await client.request("DELETE", "/api/users/me/", json={"password": DEFAULT_PASSWORD},
                                   headers=zoe.headers)
    assert deleted.status_code == 204
    # Nor does anything published to the account afterwards land there.
    node.services.bus.publish_to_user(zoe.id, "lobby-banned", {"code": "late"})
    await stored(node)
    assert await node.database.fetchval(
        "SELECT count(*) FROM notifications WHERE user_id = %s", zoe.id
    ) == 0


async def test_bad_paging_is_a_validation_error(client: httpx.AsyncClient) -> None:
    zoe = await make_user(client, "zoe")
    for query, field in (("?limit=0", "limit"), ("?limit=101", "limit"), ("?limit=ten", "limit"),
                         ("?offset=-1", "offset"), ("?before=0", "before"),
                         (f"?before={2**63}", "before")):
        response = await client.get(f"{INBOX}{query}", headers=zoe.headers)
        assert response.status_code == 400, query
        assert response.json()["code"] == "invalid" and field in response.json()["errors"], query


async def test_the_inbox_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    listing = spec["paths"]["/api/notifications/"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "offset", "before"}
    reference = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert reference == {"$ref": "#/components/schemas/NotificationPage"}
    page = spec["components"]["schemas"]["NotificationPage"]
    assert {"count", "next", "previous", "results", "unread_count"} <= set(page["required"])
    assert "post" in spec["paths"]["/api/notifications/{notification_id}/read/"]
    assert "delete" in spec["paths"]["/api/notifications/{notification_id}/"]
    assert "post" in spec["paths"]["/api/notifications/read/"]
