"""GET /api/game/matches/<code>/ through a match's life: waiting, playing, paused, over."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.persistence import Database
from courtside.persistence.matches import FinishedMatch, MatchResults, PlayerResult
from courtside.server.node import Node
from tests.accounts import Account, make_user

from .conftest import GameClient, game_client, get_ready, queue_pair

TIMEOUT = 200.0  # virtual seconds


async def _match(client: httpx.AsyncClient, code: str, viewer: Account) -> dict:
    response = await client.get(f"/api/game/matches/{code}/", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _first_goal(game: GameClient) -> dict:
    """Keep the paddle on the ball (the other side stands still) up to the first goal."""
    while True:
        state = (await game.until("game_state_update"))["state"]
        if state["initiator_score"] + state["invited_score"]:
            return state
        await game.send("paddle_position_update", position=state["ball_position_y"] - 50)


async def _keep_reading(game: GameClient) -> None:
    """Read every frame, as a browser does, so the server never closes a slow consumer."""
    while True:
        await game.receive()


async def test_a_match_answers_from_the_moment_it_exists(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    carol = await make_user(client, "carol")
    code = start["code"]

    waiting = await _match(client, code, carol)
    assert (waiting["status"], waiting["code"], waiting["game_mode"]) == ("waiting", code, "duel")
    assert [(p["user_id"], p["username"], p["team"], p["slot"]) for p in waiting["players"]] == [
        (alice.id, "alice", "a", 0), (bob.id, "bob", "b", 1),
    ]
    assert (waiting["score_a"], waiting["score_b"], waiting["team_size"]) == (0, 0, 1)
    assert (waiting["id"], waiting["reason"], waiting["ended_at"]) == (None, None, None)
    assert waiting["ws_url"] == start["ws_url"]

    with trio.fail_after(TIMEOUT):
        async with game_client(start["ws_url"], alice) as a:
            async with game_client(start["ws_url"], bob) as b, trio.open_nursery() as nursery:
                await get_ready(a, b)
                nursery.start_soon(_keep_reading, b)
                state = await _first_goal(a)
                playing = await _match(client, code, carol)
                nursery.cancel_scope.cancel()
            # bob's socket is gone: the match pauses for his return.
            await a.until("opponent_disconnected")
            paused = await _match(client, code, carol)
            ended = await a.until("game_ended")
        # At once it says how it ended; its record (id, replay) follows once written.
        over = await _match(client, code, carol)
        assert (over["status"], over["reason"], over["winning_team"]) == ("finished", "disconnect", "a")
        while over["id"] is None:
            await trio.sleep(0.05)
            over = await _match(client, code, carol)

    assert playing["status"] == "playing"
    assert playing["started_at"] is not None
    assert playing["score_a"] >= state["initiator_score"] >= 1
    assert paused["status"] == "paused"
    assert paused["score_a"] >= state["initiator_score"]
    assert ended["reason"] == "disconnect"
    assert (over["status"], over["reason"], over["winning_team"]) == ("finished", "disconnect", "a")
    assert (over["score_a"], over["score_b"]) == (ended["initiator_score"], ended["invited_score"])
    assert over["id"] is not None and "ws_url" not in over
    assert over["replay_url"] == f"/api/game/matches/{code}/replay/"


async def test_an_aborted_match_says_so(
    client: httpx.AsyncClient, node: Node, database: Database
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    aborted = FinishedMatch(
        code="aborted001", mode="duel", team_size=1, score_to_win=5, score_a=1, score_b=0,
        winning_team=None, reason="aborted", started_at=None, duration_seconds=4.0,
        seed=1, inputs=b"\x90",
        players=(PlayerResult(alice.id, "a", 0, 1, 0, None),
                 PlayerResult(bob.id, "b", 1, 0, 0, None)),
    )
    async with database.transaction() as tx:
        await MatchResults(tx).record(aborted, {})

    record = await _match(client, "aborted001", bob)
    assert (record["status"], record["winning_team"], record["score_a"]) == ("aborted", None, 1)
    missing = await client.get("/api/game/matches/nosuchcode/", headers=bob.headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
