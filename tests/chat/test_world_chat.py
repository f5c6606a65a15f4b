"""The world chat over the real server: one public room, live for those who joined."""

from __future__ import annotations

import httpx

from courtside.actors import MAX_CONTENT_LENGTH
from courtside.actors.world_chat import SEND_BURST
from courtside.server.node import Node
from tests.accounts import DEFAULT_PASSWORD, make_guest, make_user
from tests.live.conftest import user_socket

from .conversation import CHATS, block, chat_list
from .live import ChatClient
from .world import (
    MEMBERSHIP,
    WORLD,
    WORLD_MESSAGES,
    contents,
    join_world,
    world_history,
    world_post,
    world_say,
)


async def test_everyone_reads_the_one_world_chat_and_registered_users_post(
    client: httpx.AsyncClient,
) -> None:
    alice, bob, guest = await make_user(client, "alice"), await make_user(client, "bob"), \
        await make_guest(client)
    world = (await client.get(WORLD, headers=bob.headers)).json()
    assert world == {"id": world["id"], "type": "world", "name": "World",
                     "members_count": 0, "is_member": False}

    said = await world_say(client, alice, "  hello, world \n")
    assert (said["content"], said["chat_id"]) == ("hello, world", world["id"])
    assert said["author"]["username"] == "alice"
    for reader in (bob, guest, alice):
        assert await contents(client, reader) == ["hello, world"]

    refused = await world_post(client, guest, "may I?")
    assert (refused.status_code, refused.json()["code"]) == (403, "guest_account")
    assert (await client.get(WORLD_MESSAGES)).status_code == 401
    assert (await client.post(WORLD_MESSAGES, json={"content": "anon"})).status_code == 401
    # It is nobody's dialogue or group: chat lists do not hold it, nor do their routes.
    assert await chat_list(client, alice) == []
    for refused in (
        await client.get(f"{CHATS}{world['id']}/messages/", headers=alice.headers),
        await client.post(f"{CHATS}{world['id']}/messages/", json={"content": "side door"},
                          headers=alice.headers),
    ):
        assert (refused.status_code, refused.json()["code"]) == (403, "not_chat_member")


async def test_members_hear_it_live_until_they_leave(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    # Joining is kept, not tied to a connection: alice joins before she opens a socket.
    joined = await join_world(client, alice)
    assert (joined["members_count"], joined["is_member"]) == (1, True)
    again = await client.post(MEMBERSHIP, headers=alice.headers)
    assert (again.status_code, again.json()["members_count"]) == (200, 1)

    async with user_socket(node, alice) as alice_ws, user_socket(node, carol) as carol_ws:
        alice_live, carol_live = ChatClient(alice_ws), ChatClient(carol_ws)
        said = await world_say(client, bob, "anyone here?")
        heard = await alice_live.event()
        assert heard.name == "receive-message"
        assert (heard.data["id"], heard.data["content"]) == (said["id"], "anyone here?")
        assert (heard.data["chat_id"], heard.data["username"]) == (joined["id"], "bob")
        assert await carol_live.heard_nothing_else(node, carol)

        assert (await client.delete(MEMBERSHIP, headers=alice.headers)).status_code == 204
        not_joined = await client.delete(MEMBERSHIP, headers=alice.headers)
        assert (not_joined.status_code, not_joined.json()["code"]) == (404, "not_found")
        await world_say(client, bob, "gone already?")
        assert await alice_live.heard_nothing_else(node, alice)
    assert (await client.get(WORLD, headers=alice.headers)).json()["is_member"] is False


async def test_the_user_socket_posts_to_the_world_chat_by_its_id(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, guest = await make_user(client, "alice"), await make_user(client, "bob"), \
        await make_guest(client)
    world_id = (await join_world(client, bob))["id"]
    async with user_socket(node, alice) as alice_ws, user_socket(node, bob) as bob_ws, \
            user_socket(node, guest) as guest_ws:
        sent = await ChatClient(alice_ws).send(world_id, " over the socket ", "ws-1")
        assert sent["type"] == "message_sent"
        assert (sent["message"]["chat_id"], sent["message"]["content"]) == (world_id,
                                                                           "over the socket")
        heard = await ChatClient(bob_ws).event()
        assert (heard.name, heard.data["id"]) == ("receive-message", sent["message"]["id"])
        refused = await ChatClient(guest_ws).send(world_id, "me too", "ws-2")
        assert (refused["type"], refused["code"]) == ("message_refused", "guest_account")
    assert await contents(client, bob) == ["over the socket"]


async def test_a_blocked_users_messages_are_hidden_from_whoever_blocked_them(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, mallory = [await make_user(client, name) for name in ("alice", "bob", "mallory")]
    for member in (alice, bob):
        await join_world(client, member)
    await block(node, alice, mallory)

    async with user_socket(node, alice) as alice_ws, user_socket(node, bob) as bob_ws:
        alice_live, bob_live = ChatClient(alice_ws), ChatClient(bob_ws)
        await world_say(client, mallory, "spam, spam")
        await world_say(client, bob, "hi all")
        assert [(await bob_live.event()).data["content"] for _ in range(2)] == ["spam, spam",
                                                                              "hi all"]
        heard = await alice_live.event()
        assert heard.data["content"] == "hi all"
        assert await alice_live.heard_nothing_else(node, alice)

    assert await contents(client, alice) == ["hi all"]
    assert (await world_history(client, alice))["count"] == 1
    assert await contents(client, bob) == ["hi all", "spam, spam"]
    # The one blocked still reads the one who blocked them.
    await world_say(client, alice, "hello bob")
    assert (await contents(client, mallory))[0] == "hello bob"


async def test_world_messages_follow_the_chat_rules(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    for content in ("", " \n\t", "x" * (MAX_CONTENT_LENGTH + 1), "nul\x00here"):
        refused = await world_post(client, alice, content)
        assert refused.status_code == 400, content
        assert list(refused.json()["errors"]) == ["content"]
    missing = await client.post(WORLD_MESSAGES, json={}, headers=alice.headers)
    assert (missing.status_code, list(missing.json()["errors"])) == (400, ["content"])

    first = await world_post(client, alice, "once", client_id="c-1")
    retried = await world_post(client, alice, "once", client_id="c-1")
    assert (first.status_code, retried.status_code) == (201, 200)
    assert retried.json()["id"] == first.json()["id"]

    accepted = 1  # "once" spent a token; its retry did too
    while (response := await world_post(client, alice, f"n{accepted}")).status_code == 201:
        accepted += 1
        assert accepted < SEND_BURST + 5, "never slowed down"
    assert (response.status_code, response.json()["code"]) == (429, "throttled")
    assert int(response.headers["Retry-After"]) >= 1
    assert accepted >= SEND_BURST - 1


async def test_authors_delete_their_own_world_messages(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    await join_world(client, bob)
    said = await world_say(client, alice, "oops")
    url = f"{WORLD_MESSAGES}{said['id']}/"

    not_hers = await client.delete(url, headers=bob.headers)
    assert (not_hers.status_code, not_hers.json()["code"]) == (403, "not_message_author")
    for missing in (f"{WORLD_MESSAGES}{said['id'] + 100}/", f"{WORLD_MESSAGES}{2**63}/"):
        assert (await client.delete(missing, headers=alice.headers)).status_code == 404
    async with user_socket(node, bob) as bob_ws:
        bob_live = ChatClient(bob_ws)
        assert (await client.delete(url, headers=alice.headers)).status_code == 204
        heard = await bob_live.event()
        assert (heard.name, heard.data) == ("delete-message",
                                            {"chat_id": said["chat_id"], "message_id": said["id"]})
    [tombstone] = (await world_history(client, bob))["results"]
    assert (tombstone["id"], tombstone["is_deleted"], tombstone["content"]) == (said["id"], True, "")
    # A message of another chat is not the world chat's to delete.
    carol = await make_user(client, "carol")
    dialogue = (await client.post(CHATS, json={"username": "carol"}, headers=alice.headers)).json()
    theirs = (await client.post(f"{CHATS}{dialogue['id']}/messages/", json={"content": "private"},
                                headers=carol.headers)).json()
    assert (await client.delete(f"{WORLD_MESSAGES}{theirs['id']}/",
                                headers=carol.headers)).status_code == 404


async def test_history_runs_newest_first_and_pages_back_stably(client: httpx.AsyncClient) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    for n in range(4):
        await world_say(client, alice if n % 2 else bob, f"m{n}")
    first = await world_history(client, bob, "?limit=2")
    assert [m["content"] for m in first["results"]] == ["m3", "m2"]
    assert first["count"] == 4 and first["previous"] is None
    await world_say(client, alice, "m4")
    older = await world_history(client, bob, f"?limit=2&before={first['results'][-1]['id']}")
    assert [m["content"] for m in older["results"]] == ["m1", "m0"]
    assert older["next"] is None
    for query, field in (("?limit=0", "limit"), ("?offset=x", "offset"), ("?before=-3", "before")):
        bad = await client.get(f"{WORLD_MESSAGES}{query}", headers=bob.headers)
        assert (bad.status_code, field in bad.json()["errors"]) == (400, True), query


async def test_what_a_user_wrote_is_in_their_data_and_a_deleted_account_leaves(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    await join_world(client, alice)
    await join_world(client, bob)
    said = await world_say(client, alice, "for the record")
    export = (await client.get("/api/users/me/download-data/", headers=alice.headers)).json()
    [world] = [chat for chat in export["chat_data"] if chat["type"] == "world"]
    assert (world["id"], [m["id"] for m in world["messages"]]) == (said["chat_id"], [said["id"]])
    bobs = (await client.get("/api/users/me/download-data/", headers=bob.headers)).json()
    assert [chat for chat in bobs["chat_data"] if chat["type"] == "world"] == []

    deleted = await client.request("DELETE", "/api/users/me/", json={"password": DEFAULT_PASSWORD},
                                   headers=alice.headers)
    assert deleted.status_code == 204
    assert (await client.get(WORLD, headers=bob.headers)).json()["members_count"] == 1


async def test_the_world_chat_is_in_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    history = paths["/api/chat/world/messages/"]["get"]
    assert {p["name"] for p in history["parameters"]} == {"limit", "offset", "before"}
    assert history["responses"]["200"]["content"]["application/json"]["schema"] \
        == {"$ref": "#/components/schemas/MessageInstancePage"}
    posting = paths["/api/chat/world/messages/"]["post"]
    assert {"200", "201"} <= set(posting["responses"])
    assert "requestBody" in posting
    assert {"post", "delete"} <= set(paths["/api/chat/world/members/me/"])
