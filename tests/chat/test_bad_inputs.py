"""Every bad input to chat gets a clear 4xx, never a 500, and never reaches a room."""

from __future__ import annotations

import httpx

from courtside.protocol.user_messages import MAX_CLIENT_ID_LENGTH, MAX_ID
from courtside.server.node import Node
from tests.accounts import make_user
from tests.live.conftest import user_socket

from .conversation import CHATS, chat_url, messages, open_dialogue, post
from .live import ChatClient

HUGE = MAX_ID + 1
TOO_LONG_ID = "x" * (MAX_CLIENT_ID_LENGTH + 1)


async def test_ids_past_a_bigint_are_refused_before_the_database(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    for method, path, status in (
        ("GET", chat_url(HUGE), 403),
        ("DELETE", chat_url(HUGE), 403),
        ("GET", chat_url(HUGE, "messages/"), 403),
        ("POST", chat_url(HUGE, "read/"), 403),
        ("DELETE", chat_url(chat_id, f"messages/{HUGE}/"), 404),
        ("POST", chat_url(chat_id, f"members/{HUGE}/"), 404),
        ("DELETE", chat_url(chat_id, f"members/{HUGE}/"), 404),
        ("GET", chat_url(chat_id, f"messages/?before={HUGE}"), 400),
        ("GET", chat_url(chat_id, f"messages/?before={'9' * 5000}"), 400),
    ):
        response = await client.request(method, path, headers=alice.headers)
        assert response.status_code == status, (method, path, response.text)
        assert "code" in response.json()
    huge_member = await client.post(CHATS, json={"name": "x", "members": [HUGE]},
                                    headers=alice.headers)
    assert (huge_member.status_code, list(huge_member.json()["errors"])) == (400, ["members"])
    assert node.services.supervisor.restarts == 0


async def test_nul_characters_are_refused_where_postgresql_cannot_store_them(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    nul_message = await post(client, alice, chat_id, "a\x00b")
    assert (nul_message.status_code, list(nul_message.json()["errors"])) == (400, ["content"])
    nul_client_id = await post(client, alice, chat_id, "hi", client_id="a\x00b")
    assert nul_client_id.status_code == 400
    nul_name = await client.post(CHATS, json={"name": "a\x00b", "members": []},
                                 headers=alice.headers)
    assert (nul_name.status_code, list(nul_name.json()["errors"])) == (400, ["name"])
    nul_username = await client.post(CHATS, json={"username": "bo\x00b"}, headers=alice.headers)
    assert (nul_username.status_code, list(nul_username.json()["errors"])) == (400, ["username"])
    nul_query = await client.get(f"{CHATS}?q=a%00b", headers=alice.headers)
    assert (nul_query.status_code, list(nul_query.json()["errors"])) == (400, ["q"])
    assert await messages(client, bob, chat_id) == []
    assert node.services.supervisor.restarts == 0


async def test_bad_chat_requests_on_the_socket_are_answered_not_fatal(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    async with user_socket(node, alice) as socket:
        chat = ChatClient(socket)
        for bad in (
            {"chat_id": HUGE, "content": "hi", "client_id": "x"},
            {"chat_id": chat_id, "content": "hi", "client_id": "a b"},
            {"chat_id": chat_id, "content": "hi", "client_id": TOO_LONG_ID},
            {"chat_id": chat_id, "content": 5, "client_id": "x"},
            {"chat_id": chat_id, "client_id": "x"},
        ):
            await socket.send("send_message", **bad)
            assert (await chat.error())["code"] == "malformed_message", bad
        await socket.send("messages_checked", chat_id=chat_id, seen_messages=-1)
        assert (await chat.error())["code"] == "malformed_message"
        nul = await chat.send(chat_id, "a\x00b", "nul")
        assert (nul["type"], nul["code"]) == ("message_refused", "invalid")
        # The socket is still good for real work.
        sent = await chat.send(chat_id, "fine", "ok")
        assert sent["type"] == "message_sent"
    assert node.services.supervisor.restarts == 0


async def test_an_offset_past_a_bigint_is_a_bad_request(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    for path in (f"{CHATS}?offset={HUGE}", chat_url(chat_id, f"messages/?offset={HUGE}")):
        response = await client.get(path, headers=alice.headers)
        assert (response.status_code, list(response.json()["errors"])) == (400, ["offset"])
    last = await client.get(f"{CHATS}?offset={MAX_ID}", headers=alice.headers)
    assert (last.status_code, last.json()["results"]) == (200, [])
