"""Joining and leaving before the start: the countdown, its cancel, and the refusals."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.actors.tournament_messages import TournamentTiming
from courtside.server.node import Node
from tests.accounts import make_guest, make_user

from .conftest import TOURNAMENT, create_tournament, join, next_event

TIMEOUT = 120.0
REAL_STALL = 5.0  # real seconds with every task waiting before a frozen clock jumps


async def test_a_leave_cancels_the_countdown_and_a_new_joiner_restarts_it(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    # Time moves only when the test says: requests and database writes take real time,
    # which a running clock would count against the 20 s countdown. Should the server
    # stall for good, the clock jumps after REAL_STALL idle seconds and the test fails.
    fast_clock.rate, fast_clock.autojump_threshold = 0, REAL_STALL
    players = [await make_user(client, f"player{i}") for i in range(8)]
    host = players[0]
    countdown = TournamentTiming().countdown
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
            leave = await next_event(live, "tournament-leave")
            assert (leave["id"], leave["username"]) == (players[6].id, "player6")
            cancel = await next_event(live, "tournament-start-cancel")
            assert cancel["start_at"] is None
            assert (await join(client, players[7], cup["code"])).status_code == 201
            await next_event(live, "tournament-start-at")
            fast_clock.jump(countdown - 1)
            # The actor answers in order: had its countdown run out, it would say so.
            waiting = (await client.get(TOURNAMENT, headers=host.headers)).json()
            assert (waiting["status"], waiting["is_started"]) == ("open", False)
            fast_clock.jump(1)
            started = await next_event(live, "tournament-start")
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
    async with node.services.bus.connect(alice.id) as alice_live, node.services.bus.connect(bob.id) as bob_live:
        assert (await client.delete(f"{TOURNAMENT}{code}/ban/{bob.id}/", headers=alice.headers)).status_code == 204
        assert await next_event(bob_live, "tournament-banned") == {"id": cup["id"], "code": code}
        left = await next_event(alice_live, "tournament-leave")
        assert (left["id"], left["username"]) == (bob.id, "bob")
    banned = await join(client, bob, code)
    assert (banned.status_code, banned.json()["code"]) == (403, "tournament_banned")
    assert (await client.post(f"{TOURNAMENT}{code}/message/", json={"content": ""}, headers=alice.headers)).status_code == 400
    assert (await client.post(f"{TOURNAMENT}{code}/message/", json={"content": "hi"}, headers=carol.headers)).status_code == 403
    assert (await client.post(f"{TOURNAMENT}{code}/message/", json={"content": "hi"}, headers=alice.headers)).status_code == 201
    async with node.services.bus.connect(carol.id) as carol_live:
        assert (await client.post(f"{TOURNAMENT}{code}/invite/{carol.id}/", headers=alice.headers)).status_code == 204
        invited = await next_event(carol_live, "invite-tournament")
        assert (invited["id"], invited["code"], invited["username"]) == (cup["id"], code, "alice")
    assert (await client.post(f"{TOURNAMENT}{code}/invite/99999999/", headers=alice.headers)).status_code == 404
    found = (await client.get(f"{TOURNAMENT}search/?q=cu", headers=carol.headers)).json()
    assert [t["code"] for t in found["results"]] == [code]
    assert (await client.get(f"{TOURNAMENT}search/?q={'x' * 101}", headers=carol.headers)).status_code == 400
    assert (await client.get("/api/game/tournaments/99999999/", headers=carol.headers)).status_code == 404
    assert (await client.get(f"/api/game/tournaments/{2**70}/", headers=carol.headers)).status_code == 404
