"""Test helpers that speak the social graph: ask, befriend, block, as a client does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import trio

from courtside.actors import Connection, Event
from courtside.server.node import Node
from tests.accounts import Account

REQUESTS = "/api/users/me/friend_requests/"
FRIENDS = "/api/users/me/friends/"
BLOCKED = "/api/users/me/blocked/"
EVENT_WAIT = 5.0


async def ask(client: httpx.AsyncClient, sender: Account, username: str) -> httpx.Response:
    return await client.post(REQUESTS, json={"username": username}, headers=sender.headers)


async def befriend(client: httpx.AsyncClient, one: Account, other: Account) -> int:
    """Make the two friends the usual way; returns the friendship id."""
    sent = await ask(client, one, other.username)
    assert sent.status_code == 201, sent.text
    accepted = await client.post(f"{REQUESTS}{sent.json()['id']}/", headers=other.headers)
    assert accepted.status_code == 201, accepted.text
    return accepted.json()["id"]


async def block(client: httpx.AsyncClient, blocker: Account, user_id: int) -> httpx.Response:
    return await client.post(BLOCKED, json={"user_id": user_id}, headers=blocker.headers)


async def listed(client: httpx.AsyncClient, path: str, account: Account) -> list[dict[str, Any]]:
    response = await client.get(path, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()["results"]


async def profile(client: httpx.AsyncClient, viewer: Account, user_id: int) -> httpx.Response:
    return await client.get(f"/api/users/{user_id}/", headers=viewer.headers)


@asynccontextmanager
async def online(node: Node, account: Account) -> AsyncIterator[Connection]:
    """The account holds a live connection on the bus: online, and hearing its events."""
    async with node.services.bus.connect(account.id) as connection:
        yield connection


def _social(event: Event) -> bool:
    # Presence announcements to friends come and go with connections; not ours.
    return event.name != "presence"


async def next_event(connection: Connection) -> tuple[str, dict[str, Any]]:
    """The next event of the social graph this connection hears."""
    with trio.fail_after(EVENT_WAIT):
        while not _social(event := await connection.events.receive()):
            pass
    return event.name, event.data


async def heard_nothing_else(node: Node, account: Account, connection: Connection) -> bool:
    """No social event waits for the account: a marker sent now is the next it hears.

    The hub delivers each user's events in order, so this also waits out events
    still on their way.
    """
    node.services.bus.publish_to_user(account.id, "test-marker", {})
    name, _ = await next_event(connection)
    return name == "test-marker"
