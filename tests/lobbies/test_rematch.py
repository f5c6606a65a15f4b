"""Rematch: the first player to ask invites the other; when both have asked, it starts."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.actors import AskRematch, Engagements, Rematches
from courtside.actors.rematches import REMATCH_EXPIRY
from courtside.server.node import Node
from tests.accounts import make_user
from tests.games.conftest import forfeited_match
from tests.social.graph import block

from .conftest import next_event
from .test_lobby_crash import RecordingBus


def rematch_url(code: str) -> str:
    return f"/api/game/matches/{code}/rematch/"


async def test_both_players_ask_and_the_rematch_starts(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    code = await forfeited_match(client, node, alice, bob)
    bus = node.services.bus
    async with bus.connect(alice.id) as alice_live, bus.connect(bob.id) as bob_live:
        first = await client.post(rematch_url(code), headers=alice.headers)
        assert (first.status_code, first.json()["status"]) == (200, "invited")
        invited = await next_event(bob_live, "invite-1v1")
        assert invited == {"code": code, "rematch": True, "username": "alice"}
        second = await client.post(rematch_url(code), headers=bob.headers)
        assert (second.status_code, second.json()["status"]) == (201, "started")
        alice_start = await next_event(alice_live, "game-start")
        bob_start = await next_event(bob_live, "game-start")
    assert alice_start["code"] == bob_start["code"] == second.json()["code"] != code
    assert (alice_start["opponent_id"], alice_start["game_mode"]) == (bob.id, "duel")
    # They are in the new match now.
    assert (await client.post("/api/play/duel/", headers=bob.headers)).status_code == 409


async def test_rematch_refusals(fast_clock: MockClock, client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, n) for n in ("alice", "bob", "carol")]
    code = await forfeited_match(client, node, alice, bob)
    assert (await client.post(rematch_url("nosuchmatch"), headers=alice.headers)).status_code == 404
    outsider = await client.post(rematch_url(code), headers=carol.headers)
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_a_player")
    assert (await client.post("/api/play/duel/", headers=alice.headers)).status_code == 201
    queued = await client.post(rematch_url(code), headers=alice.headers)
    assert (queued.status_code, queued.json()["code"]) == (409, "already_engaged")
    assert (await client.delete("/api/play/duel/", headers=alice.headers)).status_code == 204
    assert (await block(client, bob, alice.id)).status_code == 201
    blocked = await client.post(rematch_url(code), headers=alice.headers)
    assert (blocked.status_code, blocked.json()["code"]) == (403, "user_blocked")


async def test_a_rematch_offer_lapses_after_its_expiry(
    database_clock: MockClock, engagements: Engagements
) -> None:
    bus, started = RecordingBus(), []

    async def start_match(spec) -> str:
        started.append(spec)
        return f"ws://localhost:1/ws/game/{spec.code}/"

    rematches = Rematches(engagements=engagements, bus=bus, start_match=start_match)
    async with trio.open_nursery() as nursery:
        handle = await nursery.start(rematches.run)

        async def ask(user_id: int) -> dict:
            return await handle.request(
                lambda reply: AskRematch("old", "duel", 5, (1,), (2,), user_id, f"u{user_id}", reply),
                timeout=1,
            )

        assert (await ask(1))["status"] == "invited"
        await trio.sleep(REMATCH_EXPIRY + 1)
        assert (await ask(2))["status"] == "invited"  # alice's offer had lapsed: bob's is new
        assert started == []
        assert (await ask(1))["status"] == "started"
        assert [(s.team_a, s.team_b) for s in started] == [((1,), (2,))]
        nursery.cancel_scope.cancel()
