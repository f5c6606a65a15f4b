"""Lobbies start real matches over real sockets: a custom 1v1 with a spectator, a 3v3 clash."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_guest, make_user
from tests.games.conftest import GameClient, game_client, get_ready

from .conftest import LOBBY, create_lobby, joined, next_event, ready

GAME_TIMEOUT = 120.0  # virtual seconds


async def play_to_the_end(game: GameClient, *, track: bool) -> dict:
    """Ready up, then play: a tracker keeps its paddle on the ball, the other stands still."""
    await get_ready(game)
    while (message := await game.receive())["type"] != "game_ended":
        if track and message["type"] == "game_state_update":
            await game.send("paddle_position_update",
                            position=message["state"]["ball_position_y"] - 50)
    return message


async def watch_to_the_end(game: GameClient) -> tuple[dict, dict]:
    welcome = await game.until("welcome")
    return welcome, await game.until("game_ended")


async def test_custom_1v1_from_lobby_to_recorded_result_with_a_spectator(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    carol = await make_guest(client)
    bus = node.services.bus
    async with bus.connect(alice.id) as alice_live, bus.connect(bob.id) as bob_live, \
            bus.connect(carol.id) as carol_live:
        lobby = await create_lobby(client, alice, game_mode="custom_game", score_to_win=1)
        assert (lobby["match_type"], lobby["score_to_win"], lobby["max_participants"]) == ("1v1", 1, 10)
        code = lobby["code"]
        await joined(client, code, bob, carol)
        mine = (await client.get(LOBBY, headers=carol.headers)).json()
        assert [(p["id"], p["team"], p["creator"]) for p in mine["participants"]] == [
            (alice.id, "a", True), (bob.id, "b", False), (carol.id, "spectator", False),
        ]
        await ready(client, code, alice, bob)
        alice_start = await next_event(alice_live, "game-start")
        bob_start = await next_event(bob_live, "game-start")
        spectate = await next_event(carol_live, "lobby-spectate-game")

    assert alice_start["code"] == bob_start["code"] == spectate["code"]
    assert alice_start["ws_url"] == spectate["ws_url"]
    assert (alice_start["game_mode"], alice_start["opponent_id"]) == ("custom_game", bob.id)
    # The lobby's work is done; the players are in their match, the spectator is free.
    assert (await client.get(LOBBY, headers=alice.headers)).status_code == 404
    assert (await client.post("/api/play/duel/", headers=alice.headers)).status_code == 409
    assert (await client.post(LOBBY, json={"game_mode": "clash"}, headers=carol.headers)).status_code == 201

    endings: dict[str, dict] = {}
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(alice_start["ws_url"], alice) as a, \
                game_client(bob_start["ws_url"], bob) as b, \
                game_client(spectate["ws_url"], carol) as c:

            async def player(name: str, game: GameClient, track: bool) -> None:
                endings[name] = await play_to_the_end(game, track=track)

            async def spectator() -> None:
                welcome, endings["carol"] = await watch_to_the_end(c)
                assert welcome["role"] == "spectator"

            async with trio.open_nursery() as nursery:
                nursery.start_soon(player, "alice", a, True)
                nursery.start_soon(player, "bob", b, False)
                nursery.start_soon(spectator)

    assert endings["alice"] == endings["bob"] == endings["carol"]
    assert (endings["alice"]["winner_id"], endings["alice"]["reason"]) == (alice.id, "score")
    assert (endings["alice"]["initiator_score"], endings["alice"]["invited_score"]) == (1, 0)
    with trio.fail_after(5):
        while (row := await node.database.fetchrow(
            "SELECT mode, score_to_win, score_a, score_b FROM matches WHERE code = %s",
            alice_start["code"],
        )) is None:
            await trio.sleep(0.05)
    assert row == ("custom_game", 1, 1, 0)


async def test_a_clash_plays_three_against_three_with_six_clients(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    players = [await make_user(client, f"player{n}") for n in range(6)]
    async with AsyncExitStack() as stack:
        lives = [await stack.enter_async_context(node.services.bus.connect(p.id)) for p in players]
        lobby = await create_lobby(client, players[0], game_mode="clash")
        assert (lobby["match_type"], lobby["max_participants"]) == ("3v3", 6)
        assert "team" not in lobby["participants"][0]
        await joined(client, lobby["code"], *players[1:])
        await ready(client, lobby["code"], *players)
        starts = [await next_event(live, "game-start") for live in lives]

    assert len({start["code"] for start in starts}) == 1
    team_a, team_b = starts[0]["team_a"], starts[0]["team_b"]
    assert sorted(team_a + team_b) == sorted(p.id for p in players)
    assert (len(team_a), len(team_b)) == (3, 3)
    ws_url = starts[0]["ws_url"]
    leaver = next(p for p in players if p.id == team_b[1])

    with trio.fail_after(GAME_TIMEOUT):
        async with AsyncExitStack() as stack:
            games = [await stack.enter_async_context(game_client(ws_url, p)) for p in players]
            await get_ready(*games)
            state = (await games[0].until("game_state_update"))["state"]
            assert sorted(paddle["user_id"] for paddle in state["paddles"]) == sorted(
                p.id for p in players)
            await games[players.index(leaver)].send("report_left")
            endings = [await game.until("game_ended") for game in games]

    assert all(ending == endings[0] for ending in endings)
    assert (endings[0]["winner_id"], endings[0]["reason"]) == (team_a[0], "forfeit")
    with trio.fail_after(5):
        while await node.database.fetchval(
            "SELECT count(*) FROM user_stats WHERE mode = 'clash'"
        ) < 6:
            await trio.sleep(0.05)
    row = await node.database.fetchrow(
        "SELECT mode, team_size, winning_team FROM matches WHERE code = %s", starts[0]["code"]
    )
    assert row == ("clash", 3, "a")
    wins = await node.database.fetch(
        "SELECT user_id FROM user_stats WHERE mode = 'clash' AND wins = 1 ORDER BY user_id"
    )
    assert [r[0] for r in wins] == sorted(team_a)
