"""Dialogues: who may open one with whom, one per pair, hiding and showing again."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_guest, make_user

from .conversation import (
    CHATS,
    accept_chats_from,
    befriend,
    block,
    chat_list,
    chat_url,
    open_dialogue,
    say,
)


async def test_a_dialogue_is_opened_by_username_and_shown_to_both(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    response = await client.post(CHATS, json={"username": "BOB"}, headers=alice.headers)
    assert response.status_code == 201, response.text
    chat = response.json()
    assert chat["type"] == "dialogue"
    assert chat["chat_with"]["id"] == bob.id
    assert chat["chat_with"]["status"]["is_online"] is False
    assert (chat["last_message"], chat["view_chat"], chat["unread_messages"]) == (None, True, 0)
    assert {member["id"] for member in chat["members"]} == {alice.id, bob.id}
    [seen_by_bob] = await chat_list(client, bob)
    assert (seen_by_bob["id"], seen_by_bob["chat_with"]["id"]) == (chat["id"], alice.id)
    detail = await client.get(chat_url(chat["id"]), headers=bob.headers)
    assert detail.status_code == 200
    assert detail.json()["chat_with"]["username"] == "alice"


async def test_a_pair_has_one_dialogue_whoever_opens_it(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    await open_dialogue(client, alice, bob)
    for caller, other in ((alice, bob), (bob, alice)):
        again = await client.post(CHATS, json={"username": other.username}, headers=caller.headers)
        assert again.status_code == 409
        assert again.json()["code"] == "dialogue_exists"


async def test_guests_cannot_open_dialogues_nor_be_found_for_one(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice")
    guest = await make_guest(client)
    refused = await client.post(CHATS, json={"username": "alice"}, headers=guest.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "guest_account")
    hidden = await client.post(CHATS, json={"username": guest.username}, headers=alice.headers)
    assert hidden.status_code == 404


async def test_nobody_and_oneself_are_refused(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    assert (await client.post(CHATS, json={"username": "nobody"},
                              headers=alice.headers)).status_code == 404
    myself = await client.post(CHATS, json={"username": "alice"}, headers=alice.headers)
    assert (myself.status_code, myself.json()["code"]) == (403, "chat_self")


async def test_blocked_user_cannot_open_dialogue(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    await block(node, alice, bob)
    by_blocker = await client.post(CHATS, json={"username": "bob"}, headers=alice.headers)
    assert (by_blocker.status_code, by_blocker.json()["code"]) == (403, "user_blocked")
    # The one blocked is not told: the blocker is simply not there for them.
    by_blocked = await client.post(CHATS, json={"username": "alice"}, headers=bob.headers)
    assert by_blocked.status_code == 404


async def test_accept_chat_from_decides_who_may_open_a_dialogue(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    await befriend(node, alice, carol)

    await accept_chats_from(client, carol, "none")
    refused = await client.post(CHATS, json={"username": "carol"}, headers=alice.headers)
    assert (refused.status_code, refused.json()["code"]) == (403, "chats_refused")

    await accept_chats_from(client, carol, "friends_only")
    stranger = await client.post(CHATS, json={"username": "carol"}, headers=bob.headers)
    assert (stranger.status_code, stranger.json()["code"]) == (403, "chats_refused")
    await open_dialogue(client, alice, carol)


async def test_a_chat_you_are_not_in_is_forbidden_whether_or_not_it_exists(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    eve = await make_user(client, "eve")
    chat_id = await open_dialogue(client, alice, bob)
    for target in (chat_id, chat_id + 1000):
        for method, path, body in (
            ("GET", chat_url(target), None),
            ("DELETE", chat_url(target), None),
            ("GET", chat_url(target, "messages/"), None),
            ("POST", chat_url(target, "messages/"), {"content": "hi"}),
            ("POST", chat_url(target, "read/"), None),
            ("DELETE", chat_url(target, "messages/1/"), None),
        ):
            response = await client.request(method, path, json=body, headers=eve.headers)
            assert response.status_code == 403, (method, path, response.text)
            assert response.json()["code"] == "not_chat_member"


async def test_a_hidden_dialogue_reappears_with_a_new_message(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    hidden = await client.delete(chat_url(chat_id), headers=alice.headers)
    assert hidden.status_code == 204
    assert await chat_list(client, alice) == []
    # Hidden, not gone: searching finds it, and the other side still sees it.
    [found] = await chat_list(client, alice, "?q=bo")
    assert (found["id"], found["view_chat"]) == (chat_id, False)
    assert [chat["id"] for chat in await chat_list(client, bob)] == [chat_id]

    message = await say(client, bob, chat_id, "still there?")
    [shown] = await chat_list(client, alice)
    assert (shown["id"], shown["view_chat"]) == (chat_id, True)
    assert shown["last_message"]["id"] == message["id"]
    assert shown["unread_messages"] == 1


async def test_the_list_is_latest_first_and_q_filters_by_name(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol", nickname="Bobcat")
    dave = await make_user(client, "dave")
    with_bob = await open_dialogue(client, alice, bob)
    with_carol = await open_dialogue(client, alice, carol)
    with_dave = await open_dialogue(client, alice, dave)
    await say(client, bob, with_bob, "latest")
    assert [chat["id"] for chat in await chat_list(client, alice)] == [
        with_bob, with_dave, with_carol,
    ]
    assert [chat["id"] for chat in await chat_list(client, alice, "?q=BOB")] == [
        with_bob, with_carol,
    ]
    assert await chat_list(client, alice, "?q=%25") == []
