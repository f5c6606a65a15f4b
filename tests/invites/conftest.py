"""Helpers that speak invitations: invite, answer, and read the invitation message."""

from __future__ import annotations

from typing import Any

import httpx

from tests.accounts import Account
from tests.games.conftest import config, fast_clock  # noqa: F401  (fixtures, re-used)
from tests.lobbies.conftest import next_event  # noqa: F401  (re-exported for the tests)

INVITES = "/api/play/invites/"


async def invite(
    client: httpx.AsyncClient, inviter: Account, user_id: int, match_type: str = "1v1"
) -> httpx.Response:
    return await client.post(INVITES, json={"user_id": user_id, "match_type": match_type},
                             headers=inviter.headers)


async def invited(
    client: httpx.AsyncClient, inviter: Account, invitee: Account, match_type: str = "1v1"
) -> dict[str, Any]:
    response = await invite(client, inviter, invitee.id, match_type)
    assert response.status_code == 201, response.text
    return response.json()


async def answer(
    client: httpx.AsyncClient, account: Account, invite_id: int | str, action: str
) -> httpx.Response:
    return await client.post(f"{INVITES}{invite_id}/{action}/", headers=account.headers)


async def cancel(client: httpx.AsyncClient, account: Account, invite_id: int | str) -> httpx.Response:
    return await client.delete(f"{INVITES}{invite_id}/", headers=account.headers)


async def invitation_message(client: httpx.AsyncClient, account: Account, chat_id: int) -> dict[str, Any]:
    """The dialogue's latest invitation message, as the account reads the history."""
    response = await client.get(f"/api/chat/{chat_id}/messages/", headers=account.headers)
    assert response.status_code == 200, response.text
    return next(m for m in response.json()["results"] if m["type"] == "invite")
