"""Helpers that speak lobbies: create, join, get ready, and hear the lobby's events."""

from __future__ import annotations

from typing import Any

import httpx
import trio

from courtside.actors import Connection
from tests.accounts import Account
from tests.games.conftest import EVENT_WAIT, next_event  # noqa: F401  (next_event: re-exported)
from tests.games.conftest import config, fast_clock  # noqa: F401  (fixtures, re-used)

LOBBY = "/api/play/lobby/"


async def create_lobby(client: httpx.AsyncClient, creator: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(LOBBY, json=body, headers=creator.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def join(client: httpx.AsyncClient, account: Account, code: str) -> httpx.Response:
    return await client.post(f"{LOBBY}{code}/", headers=account.headers)


async def joined(client: httpx.AsyncClient, code: str, *accounts: Account) -> None:
    for account in accounts:
        response = await join(client, account, code)
        assert response.status_code == 201, response.text


async def set_self(client: httpx.AsyncClient, account: Account, code: str, **body: Any) -> httpx.Response:
    return await client.patch(f"{LOBBY}{code}/", json=body, headers=account.headers)


async def ready(client: httpx.AsyncClient, code: str, *accounts: Account) -> None:
    for account in accounts:
        response = await set_self(client, account, code, is_ready=True)
        assert response.status_code == 200, response.text


async def next_lobby_event(connection: Connection) -> tuple[str, dict[str, Any]]:
    """The next event whose name starts with lobby- (presence and the like skipped)."""
    with trio.fail_after(EVENT_WAIT):
        while not (event := await connection.events.receive()).name.startswith(("lobby-", "invite-")):
            pass
    return event.name, {**event.data, **event.kwargs}
