"""Joining and leaving before the start: the countdown, its cancel, and the refusals."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import trio
from trio.testing import MockClock

from courtside.actors.tournament_messages import TournamentTiming
from courtside.server.node import Node
from tests.accounts import make_guest, make_user

from .conftest import TOURNAMENT, create_tournament, join, next_event

TIMEOUT = 120.0


async def test_a_leave_cancels_the_countdown_and_a_new_joiner_restarts_it(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    players = [await make_user(client, f"player{i}") for i in range(8)]
    host = players[0]
    with trio.fail_after(TIMEOUT):
        async with node.services.bus.connect(host.id) as live:
            cup = await create_tournament(client, host, size=8)
            for p in players[1:6]:
                assert (await join(client, p, cup["code"])).status_code == 201
            seventh = await join(client, players[6], cup["code"], alias="Lucky")
            assert (seventh.status_code, seventh.json()["alias"]) == (201, "Lucky")
            start_at = await next_event(live, "tournament-start-at")  # 7 of 8: 80 % reached
            assert start_at["id"] == cup["id"] and start_at["start_at"] is not None
            left = await client.delete(f"{TOURNAMENT}{cup['code']}/", headers=players[6].headers)
            assert left.status_code == 204
            cancel = await next_event(live, "tournament-start-cancel")
            assert cancel["start_at"] is None
            assert (await join(client, players[7], cup["code"])).status_code == 201
            await next_event(live, "tournament-start-at")
            armed = trio.current_time()
            countdown = TournamentTiming().countdown
            with trio.fail_after(countdown + 1):
                while (event := await live.events.receive()).name != "tournament-start":
                    pass
            assert trio.current_time() - armed >= countdown - 1
    started = event.data
    assert started["is_started"] and len(started["participants"]) == 7
    assert list(started["matches"]) == ["quarter-final", "semi-final", "final"]


async def test_refusals_have_the_reference_status_codes(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, carol = [await make_user(client, n) for n in ("alice", "bob", "carol")]
    guest = await make_guest(client)
    cup = await create_tournament(client, alice, alias="Ace")
    code = cup["code"]
    assert (await client.post(TOURNAMENT, json={"name": "x", "size": 5}, headers=bob.headers)).status_code == 400
    assert (await client.post(TOURNAMENT, json={"name": "  ", "size": 4}, headers=bob.headers)).status_code == 400
    assert (await client.post(TOURNAMENT, json={"name": "x", "size": 4}, headers=guest.headers)).status_code == 403
    again = await client.post(TOURNAMENT, json={"name": "Again", "size": 4}, headers=alice.headers)
    assert (again.status_code, again.json()["code"]) == (409, "already_engaged")
    assert (await join(client, bob, "nosuchcode")).status_code == 404
    taken = await join(client, bob, code, alias="ACE")
    assert (taken.status_code, taken.json()["code"]) == (409, "alias_taken")
    assert (await join(client, bob, code)).status_code == 201
    assert (await join(client, bob, code)).status_code == 409
    assert (await client.delete(f"{TOURNAMENT}{code}/", headers=carol.headers)).status_code == 403
    assert (await client.delete(f"{TOURNAMENT}{code}/ban/{alice.id}/", headers=bob.headers)).status_code == 403
    assert (await client.delete(f"{TOURNAMENT}{code}/ban/{alice.id}/", headers=alice.headers)).status_code == 403
    assert (await client.delete(f"{TOURNAMENT}{code}/ban/{carol.id}/", headers=alice.headers)).status_code == 404
    assert (await client.delete(f"{TOURNAMENT}{code}/ban/{bob.id}/", headers=alice.headers)).status_code == 204
    banned = await join(client, bob, code)
    assert (banned.status_code, banned.json()["code"]) == (403, "tournament_banned")
    assert (await client.post(f"{TOURNAMENT}{code}/message/", json={"content": ""}, headers=alice.headers)).status_code == 400
    assert (await client.post(f"{TOURNAMENT}{code}/message/", json={"content": "hi"}, headers=carol.headers)).status_code == 403
    assert (await client.post(f"{TOURNAMENT}{code}/message/", json={"content": "hi"}, headers=alice.headers)).status_code == 201
    assert (await client.post(f"{TOURNAMENT}{code}/invite/{carol.id}/", headers=alice.headers)).status_code == 204
    assert (await client.post(f"{TOURNAMENT}{code}/invite/99999999/", headers=alice.headers)).status_code == 404
    found = (await client.get(f"{TOURNAMENT}search/?q=cu", headers=carol.headers)).json()
    assert [t["code"] for t in found["results"]] == [code]
    assert (await client.get(f"{TOURNAMENT}search/?q={'x' * 101}", headers=carol.headers)).status_code == 400
    assert (await client.get("/api/game/tournaments/99999999/", headers=carol.headers)).status_code == 404
    assert (await client.get(f"/api/game/tournaments/{2**70}/", headers=carol.headers)).status_code == 404
