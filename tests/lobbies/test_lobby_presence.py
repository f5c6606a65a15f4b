"""A lobby does not outlive its members' presence: who leaves the site leaves the lobby."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
import trio

from courtside.server.config import Config
from courtside.server.node import Node
from tests.accounts import Account, make_guest, make_user

from .conftest import LOBBY, create_lobby, joined, next_event, next_lobby_event, ready

GRACE = 1.0  # seconds, real ones: the grace runs against the server's database calls too
WAIT = 10.0


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, lobby_presence_grace_seconds=GRACE)


async def participant_ids(client: httpx.AsyncClient, viewer: Account, code: str) -> list[int]:
    response = await client.get(f"{LOBBY}{code}/", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return [p["id"] for p in response.json()["participants"]]


async def test_a_member_who_leaves_the_site_leaves_the_lobby_after_the_grace(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    bus = node.services.bus
    async with bus.connect(alice.id) as alice_live:
        code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
        async with bus.connect(bob.id):
            await joined(client, code, bob)
            assert (await next_lobby_event(alice_live))[0] == "lobby-join"
        gone_at = trio.current_time()
        assert await next_lobby_event(alice_live) == ("lobby-leave", {"id": bob.id, "username": "bob"})
        assert trio.current_time() - gone_at >= GRACE
    assert await participant_ids(client, alice, code) == [alice.id]
    # Bob is free again.
    assert (await client.post("/api/play/duel/", headers=bob.headers)).status_code == 201


async def test_coming_back_within_the_grace_keeps_the_seat(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    bus = node.services.bus
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    await joined(client, code, bob)
    async with bus.connect(bob.id):
        pass
    async with bus.connect(bob.id):  # a reload
        await trio.sleep(2 * GRACE)
        assert await participant_ids(client, alice, code) == [alice.id, bob.id]


async def test_the_grace_runs_from_the_last_departure(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    bus = node.services.bus
    async with bus.connect(alice.id) as alice_live:
        code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
        await joined(client, code, bob)
        async with bus.connect(bob.id):
            pass
        async with bus.connect(bob.id):
            await trio.sleep(GRACE / 2)
        last_gone_at = trio.current_time()
        assert (await next_lobby_event(alice_live))[0] == "lobby-join"
        assert await next_lobby_event(alice_live) == ("lobby-leave", {"id": bob.id, "username": "bob"})
        assert trio.current_time() - last_gone_at >= GRACE


async def test_a_creator_away_hands_the_lobby_to_the_next_member(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    bus = node.services.bus
    code = (await create_lobby(client, alice, game_mode="clash"))["code"]
    async with bus.connect(bob.id) as bob_live:
        await joined(client, code, bob)
        async with bus.connect(alice.id):
            pass
        assert await next_lobby_event(bob_live) == ("lobby-leave", {"id": alice.id, "username": "alice"})
        assert await next_lobby_event(bob_live) == (
            "lobby-update-participant", {"id": bob.id, "creator": True})
    (creator,) = (await client.get(f"{LOBBY}{code}/", headers=bob.headers)).json()["participants"]
    assert (creator["id"], creator["creator"]) == (bob.id, True)


async def test_a_lobby_closes_once_its_registered_members_are_away(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    guest = await make_guest(client)
    bus = node.services.bus
    lone = (await create_lobby(client, bob, game_mode="custom_game"))["code"]
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    async with bus.connect(guest.id) as guest_live:
        await joined(client, code, guest)
        async with bus.connect(alice.id), bus.connect(bob.id):
            pass
        assert await next_event(guest_live, "lobby-destroy", wait=WAIT) == {"code": code}
    for account, closed in ((alice, code), (bob, lone)):
        with trio.fail_after(WAIT):
            while (await client.get(f"{LOBBY}{closed}/", headers=account.headers)).status_code != 404:
                await trio.sleep(0.05)
    assert (await client.get(LOBBY, headers=guest.headers)).status_code == 404


async def test_players_whose_match_started_meanwhile_stay_in_it(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    bus = node.services.bus
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    async with bus.connect(alice.id) as alice_live:
        async with bus.connect(bob.id):
            await joined(client, code, bob)
            await ready(client, code, bob)
        # Bob is away, ready; the match starts within his grace.
        await ready(client, code, alice)
        start = await next_event(alice_live, "game-start", wait=WAIT)
        await trio.sleep(2 * GRACE)
    queued = await client.post("/api/play/duel/", headers=bob.headers)
    assert (queued.status_code, queued.json()["detail"]) == (
        409, f"You are already in a match (code {start['code']}).")
