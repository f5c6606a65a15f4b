"""Test helpers that speak the world chat, as a client does."""

from __future__ import annotations

from typing import Any

import httpx

from tests.accounts import Account

WORLD = "/api/chat/world/"
WORLD_MESSAGES = f"{WORLD}messages/"
MEMBERSHIP = f"{WORLD}members/me/"


async def world_post(
    client: httpx.AsyncClient, sender: Account, content: str, **extra: Any
) -> httpx.Response:
    return await client.post(WORLD_MESSAGES, json={"content": content, **extra},
                             headers=sender.headers)


async def world_say(client: httpx.AsyncClient, sender: Account, content: str) -> dict[str, Any]:
    """Post a message that must be stored; returns the MessageInstance."""
    response = await world_post(client, sender, content)
    assert response.status_code == 201, response.text
    return response.json()


async def world_history(
    client: httpx.AsyncClient, reader: Account, query: str = ""
) -> dict[str, Any]:
    response = await client.get(f"{WORLD_MESSAGES}{query}", headers=reader.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def contents(client: httpx.AsyncClient, reader: Account, query: str = "") -> list[str]:
    return [message["content"] for message in (await world_history(client, reader, query))["results"]]


async def join_world(client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    response = await client.post(MEMBERSHIP, headers=account.headers)
    assert response.status_code == 201, response.text
    return response.json()
