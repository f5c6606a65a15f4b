"""Test helpers that speak chat: open dialogues and groups, post and read, as a client does.

The social graph is arranged through its repository: these tests are about chat,
and only need two people to be friends or one to have blocked the other.
"""

from __future__ import annotations

from typing import Any

import httpx

from courtside.persistence import Social
from courtside.server.node import Node
from tests.accounts import Account

CHATS = "/api/chat/"


def chat_url(chat_id: int, rest: str = "") -> str:
    return f"{CHATS}{chat_id}/{rest}"


async def open_dialogue(client: httpx.AsyncClient, caller: Account, other: Account) -> int:
    response = await client.post(CHATS, json={"username": other.username}, headers=caller.headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def open_group(
    client: httpx.AsyncClient, admin: Account, name: str, members: list[Account]
) -> int:
    response = await client.post(
        CHATS, json={"name": name, "members": [member.id for member in members]},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def post(
    client: httpx.AsyncClient, sender: Account, chat_id: int, content: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        chat_url(chat_id, "messages/"), json={"content": content, **extra}, headers=sender.headers
    )


async def say(
    client: httpx.AsyncClient, sender: Account, chat_id: int, content: str
) -> dict[str, Any]:
    """Post a message that must be stored; returns the MessageInstance."""
    response = await post(client, sender, chat_id, content)
    assert response.status_code == 201, response.text
    return response.json()


async def messages(
    client: httpx.AsyncClient, reader: Account, chat_id: int, query: str = ""
) -> list[dict[str, Any]]:
    response = await client.get(chat_url(chat_id, f"messages/{query}"), headers=reader.headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def chat_list(
    client: httpx.AsyncClient, viewer: Account, query: str = ""
) -> list[dict[str, Any]]:
    response = await client.get(f"{CHATS}{query}", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def unread_chats(client: httpx.AsyncClient, account: Account) -> int:
    me = await client.get("/api/users/me/", headers=account.headers)
    assert me.status_code == 200, me.text
    return me.json()["notifications"]["chats"]


async def befriend(node: Node, one: Account, other: Account) -> None:
    async with node.database.transaction() as tx:
        social = Social(tx)
        request = await social.send_request(one.id, other.id)
        assert await social.accept_request(request.id, other.id) is not None


async def block(node: Node, blocker: Account, blocked: Account) -> None:
    await Social(node.database).block(blocker.id, blocked.id)


async def accept_chats_from(client: httpx.AsyncClient, account: Account, who: str) -> None:
    response = await client.patch(
        "/api/users/me/", json={"accept_chat_from": who}, headers=account.headers
    )
    assert response.status_code == 200, response.text
