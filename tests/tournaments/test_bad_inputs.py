"""Bad input to the tournament API: refused with a 400, never a 500."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import TOURNAMENT, create_tournament, join


async def test_nul_characters_are_refused_where_postgresql_cannot_store_them(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    nul_name = await client.post(TOURNAMENT, json={"name": "C\x00up", "size": 4},
                                 headers=alice.headers)
    assert (nul_name.status_code, nul_name.json()["code"]) == (400, "invalid"), nul_name.text
    nul_alias = await client.post(TOURNAMENT, json={"name": "Cup", "size": 4, "alias": "Q\x00"},
                                  headers=alice.headers)
    assert nul_alias.status_code == 400, nul_alias.text
    cup = await create_tournament(client, alice)
    joining = await join(client, bob, cup["code"], alias="b\x00b")
    assert joining.status_code == 400, joining.text
    search = await client.get(f"{TOURNAMENT}search/", params={"q": "C\x00"}, headers=bob.headers)
    assert search.status_code == 400, search.text
