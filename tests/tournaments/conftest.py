"""Helpers that speak tournaments: create, join, hear events, play matches to a result."""

from __future__ import annotations

from typing import Any

import httpx

from courtside.actors import Connection
from tests.accounts import Account
from tests.games.conftest import config, fast_clock, game_client, get_ready  # noqa: F401
from tests.lobbies.conftest import next_event  # noqa: F401

TOURNAMENT = "/api/play/tournament/"


async def create_tournament(client: httpx.AsyncClient, creator: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(TOURNAMENT, json={"name": "Cup", "size": 4, **body},
                                 headers=creator.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def join(client: httpx.AsyncClient, account: Account, code: str, **body: Any) -> httpx.Response:
    return await client.post(f"{TOURNAMENT}{code}/", json=body, headers=account.headers)


async def forfeit_match(start: dict[str, Any], winner: Account, loser: Account) -> None:
    """Both take their seats; the loser leaves once play begins."""
    async with game_client(start["ws_url"], winner) as w, game_client(start["ws_url"], loser) as l:
        await get_ready(w, l)
        await w.until("game_state_update")
        await l.send("report_left")
        await w.until("game_ended")


async def game_start(connection: Connection) -> dict[str, Any]:
    return await next_event(connection, "game-start")
