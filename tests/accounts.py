"""Test helpers that speak the accounts domain: make users, call as them."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

DEFAULT_PASSWORD = "correct-horse-42"


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    access: str
    refresh: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access}"}


async def _account(client: httpx.AsyncClient, response: httpx.Response) -> Account:
    assert response.status_code in (200, 201), response.text
    tokens = response.json()
    me = await client.get(
        "/api/users/me/", headers={"Authorization": f"Bearer {tokens['access']}"}
    )
    assert me.status_code == 200, me.text
    return Account(me.json()["id"], me.json()["username"], tokens["access"], tokens["refresh"])


async def make_user(
    client: httpx.AsyncClient, username: str, password: str = DEFAULT_PASSWORD, **extra: str
) -> Account:
    response = await client.post(
        "/api/auth/register/", json={"username": username, "password": password, **extra}
    )
    return await _account(client, response)


async def make_guest(client: httpx.AsyncClient) -> Account:
    return await _account(client, await client.post("/api/auth/guest/"))
