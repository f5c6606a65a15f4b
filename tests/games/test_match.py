"""Real matches over real sockets: a full game, forfeits, disconnects, spectators."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.actors import physics
from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import GameClient, game_client, get_ready, queue_pair, until_recorded

GAME_TIMEOUT = 200.0  # virtual seconds


async def play(client: GameClient, *, track: bool, states: list[dict] | None = None) -> dict:
    """Report ready, then play until the end: a tracker keeps its paddle on the ball."""
    welcome = await client.until("welcome")
    await client.send("report_ready")
    await client.until("game_starts")
    while True:
        message = await client.receive()
        if message["type"] == "game_ended":
            return message
        if message["type"] != "game_state_update":
            continue
        if states is not None:
            states.append(message["state"])
        if track:
            ball_y = message["state"]["ball_position_y"]
            await client.send("paddle_position_update", position=ball_y - 50)
        assert welcome["role"] == "player"


async def test_full_game_to_five_is_recorded_and_replays(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, alice_start, bob_start = await queue_pair(client, node)
    assert alice_start["code"] == bob_start["code"]
    assert alice_start["ws_url"].startswith("ws://127.0.0.1:")
    assert alice_start["ws_url"].endswith(f"/ws/game/{alice_start['code']}/")

    endings: dict[str, dict] = {}
    states: list[dict] = []
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(alice_start["ws_url"], alice) as a_client, \
                game_client(bob_start["ws_url"], bob, cookie=True, msgpack=True) as b_client:

            async def run(name: str, game: GameClient, track: bool) -> None:
                endings[name] = await play(game, track=track, states=states if track else None)

            async with trio.open_nursery() as nursery:
                nursery.start_soon(run, "alice", a_client, True)
                nursery.start_soon(run, "bob", b_client, False)

    assert endings["alice"] == endings["bob"]
    ended = endings["alice"]
    assert (ended["initiator_id"], ended["invited_id"]) == (alice.id, bob.id)
    assert (ended["initiator_score"], ended["invited_score"]) == (5, 0)
    assert (ended["winner_id"], ended["reason"]) == (alice.id, "score")
    assert set(states[0]) == {
        "initiator_id", "invited_id", "initiator_score", "invited_score",
        "initiator_paddle_y", "invited_paddle_y", "ball_position_x", "ball_position_y",
        "ball_direction_x", "ball_direction_y", "tournament", "tick",
    }
    ticks = [state["tick"] for state in states]
    assert ticks == sorted(ticks)
    # The winning goal's state reaches the players before game_ended does.
    assert (states[-1]["initiator_score"], states[-1]["invited_score"]) == (5, 0)

    code = alice_start["code"]
    with trio.fail_after(GAME_TIMEOUT):
        await until_recorded(node, code)
    row = await node.database.fetchrow(
        "SELECT mode, score_a, score_b, winning_team, reason FROM matches WHERE code = %s", code
    )
    assert row == ("duel", 5, 0, "a", "score")
    stats = await node.database.fetch(
        "SELECT user_id, mode, games, wins, losses, goals_scored, current_win_streak"
        " FROM user_stats ORDER BY user_id, mode"
    )
    assert stats == [
        (alice.id, "duel", 1, 1, 0, 5, 1), (alice.id, "global", 1, 1, 0, 5, 1),
        (bob.id, "duel", 1, 0, 1, 0, 0), (bob.id, "global", 1, 0, 1, 0, 0),
    ]

    # The replay endpoint's seed and inputs play the same match again.
    replay = (await client.get(f"/api/game/matches/{code}/replay/", headers=bob.headers)).json()
    inputs = {tick: tuple(values) for tick, values in replay["inputs"]}
    state = physics.new_match(seed=replay["seed"], mode="1v1", score_to_win=replay["score_to_win"])
    none = (None, None)
    while state.winner is None:
        state = physics.step(state, inputs.get(state.tick, none))
    assert (state.score_a, state.score_b) == (5, 0)
    assert state.tick == states[-1]["tick"]


async def test_report_left_forfeits_at_once(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(start["ws_url"], alice) as a, game_client(start["ws_url"], bob) as b:
            await get_ready(a, b)
            await a.until("game_state_update")
            await b.send("report_left")
            ended = await a.until("game_ended")
    assert (ended["winner_id"], ended["reason"]) == (alice.id, "forfeit")


async def test_reconnecting_within_grace_resumes_the_match(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    url = start["ws_url"]
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(url, alice) as a:
            async with game_client(url, bob) as b:
                await get_ready(a, b)
                await a.until("game_state_update")
            # bob's socket is gone: the match pauses for him.
            paused = await a.until("opponent_disconnected")
            assert paused["grace_seconds"] == 10.0
            await trio.sleep(3)
            async with game_client(url, bob) as b_again:
                welcome = await b_again.until("welcome")
                assert welcome["role"] == "player"
                await a.until("opponent_reconnected")
                resumed = await b_again.until("game_state_update")
                assert resumed["state"]["invited_id"] == bob.id
                await b_again.send("report_left")
                ended = await a.until("game_ended")
    assert ended["reason"] == "forfeit"


async def test_staying_away_past_the_grace_window_loses(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    url = start["ws_url"]
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(url, alice) as a:
            async with game_client(url, bob) as b:
                await get_ready(a, b)
                await a.until("game_state_update")
            await a.until("opponent_disconnected")
            before = trio.current_time()
            ended = await a.until("game_ended")
            assert trio.current_time() - before >= 9.9
    assert (ended["winner_id"], ended["reason"]) == (alice.id, "disconnect")


async def test_players_who_never_get_ready_time_out(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(start["ws_url"], alice) as a, game_client(start["ws_url"], bob) as b:
            await a.until("welcome")
            await b.until("welcome")
            await a.send("report_ready")
            ended = await a.until("game_ended")
    assert (ended["winner_id"], ended["reason"]) == (None, "timeout")
    with trio.fail_after(GAME_TIMEOUT):
        await until_recorded(node, start["code"])
    row = await node.database.fetchrow("SELECT reason, winning_team FROM matches WHERE code = %s",
                                       start["code"])
    assert row == ("timeout", None)
    assert await node.database.fetchval("SELECT count(*) FROM user_stats") == 0


async def test_a_seat_nobody_takes_frees_the_players(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    began = trio.current_time()  # the match exists: the seats are waiting
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(start["ws_url"], alice) as a:
            await a.until("welcome")
            await a.send("report_ready")
            ended = await a.until("game_ended")
            # The seat timeout (25 s here), not the ready one (30 s).
            assert 24 < trio.current_time() - began < 30
    assert (ended["winner_id"], ended["reason"]) == (None, "aborted")
    for player in (alice, bob):  # both may queue again
        assert (await client.post("/api/play/duel/", headers=player.headers)).status_code == 201


async def test_a_spectator_sees_the_same_states(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    carol = await make_user(client, "carol")
    url = start["ws_url"]
    player_states: list[dict] = []
    with trio.fail_after(GAME_TIMEOUT):
        async with game_client(url, alice) as a, game_client(url, bob) as b, \
                game_client(url, carol) as spectator:
            welcome = await spectator.until("welcome")
            assert (welcome["role"], welcome["side"]) == ("spectator", None)
            await get_ready(a, b)
            for _ in range(30):
                player_states.append((await a.until("game_state_update"))["state"])
            seen = [(await spectator.until("game_state_update"))["state"] for _ in range(30)]
            await b.send("report_left")
    assert seen == player_states
