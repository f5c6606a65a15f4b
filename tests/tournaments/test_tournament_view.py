"""``GET /api/play/tournament/<code>/``: to its participants, and a public one to anyone."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import TOURNAMENT, create_tournament, join


async def test_a_public_tournament_is_seen_by_anyone(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    cup = await create_tournament(client, alice, name="Open cup", alias="Queen")
    assert (await join(client, bob, cup["code"], alias="Knave")).status_code == 201

    seen = await client.get(f"{TOURNAMENT}{cup['code']}/", headers=carol.headers)
    assert seen.status_code == 200
    assert (seen.json()["name"], seen.json()["is_started"]) == ("Open cup", False)
    assert [(p["id"], p["alias"], p["creator"], p["still_in"])
            for p in seen.json()["participants"]] == [
        (alice.id, "Queen", True, True), (bob.id, "Knave", False, True)]
    assert seen.json() == (await client.get(TOURNAMENT, headers=bob.headers)).json()


async def test_a_private_tournament_is_seen_by_its_participants_only(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    cup = await create_tournament(client, alice, private=True)
    assert (await join(client, bob, cup["code"])).status_code == 201
    url = f"{TOURNAMENT}{cup['code']}/"
    for participant in (alice, bob):
        assert (await client.get(url, headers=participant.headers)).json()["private"] is True
    for outsider, missing in ((carol, url), (alice, f"{TOURNAMENT}nosuchcode/"),
                              (alice, f"{TOURNAMENT}bad%00code/")):
        response = await client.get(missing, headers=outsider.headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), missing
    # Leaving makes bob an outsider; the last one out cancels it for everyone.
    assert (await client.delete(url, headers=bob.headers)).status_code == 204
    assert (await client.get(url, headers=bob.headers)).status_code == 404
    assert (await client.delete(url, headers=alice.headers)).status_code == 204
    assert (await client.get(url, headers=alice.headers)).status_code == 404
