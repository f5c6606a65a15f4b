"""The 10-minute round cap: a match still going then is decided by score, a tie by the
first goal (DESIGN.md §8), and the bracket goes on with that winner."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_user
from tests.games.conftest import GameClient

from .conftest import create_tournament, forfeit_match, game_client, game_start, get_ready, joined, next_event

ROUND_CAP = 600.0  # the node's default: Config.tournament_round_seconds
TIMEOUT = ROUND_CAP + 300.0  # virtual seconds: the test jumps the clock past the cap


class Rally:
    """One player of a capped match: keeps its paddle on the ball while ``track`` is
    set, stands still otherwise, and tells ``scores`` of every change of score."""

    def __init__(self, game: GameClient, scores: trio.MemorySendChannel[tuple[int, int]] | None) -> None:
        self.game = game
        self.track = False
        self.first_state: dict[str, Any] | None = None
        self.ended: dict[str, Any] | None = None
        self._scores = scores

    async def play(self) -> None:
        await get_ready(self.game)
        score = (0, 0)
        while (message := await self.game.receive())["type"] != "game_ended":
            if message["type"] != "game_state_update":
                continue
            state = message["state"]
            self.first_state = self.first_state or state
            if (now := (state["initiator_score"], state["invited_score"])) != score:
                score = now
                if self._scores is not None:
                    self._scores.send_nowait(score)
            if self.track:
                await self.game.send("paddle_position_update", position=state["ball_position_y"] - 50)
        self.ended = message


async def test_a_match_still_tied_at_the_round_cap_goes_to_the_first_goal(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    players = [await make_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    by_id = {p.id: p for p in players}
    top, fourth = players[0], players[3]  # seeds 1 and 4 meet in a semi-final
    with trio.fail_after(TIMEOUT):
        async with AsyncExitStack() as stack:
            live = {p.id: await stack.enter_async_context(node.services.bus.connect(p.id)) for p in players}
            cup = await create_tournament(client, top)
            await joined(client, cup["code"], *players[1:])
            starts = {p.id: await game_start(live[p.id]) for p in players}
            capped, other = starts[top.id], starts[players[1].id]
            assert (capped["team_a"], capped["team_b"]) == ([top.id], [fourth.id])

            send_scores, scores = trio.open_memory_channel[tuple[int, int]](16)
            other_done = trio.Event()

            async def other_semi_final() -> None:
                await forfeit_match(other, by_id[other["team_a"][0]], by_id[other["team_b"][0]])
                other_done.set()

            async with game_client(capped["ws_url"], top) as a_game, \
                    game_client(capped["ws_url"], fourth) as b_game, trio.open_nursery() as nursery:
                a, b = Rally(a_game, send_scores), Rally(b_game, None)
                nursery.start_soon(other_semi_final)
                nursery.start_soon(a.play)
                nursery.start_soon(b.play)
                # The fourth seed scores first, then lets the top seed equalise.
                b.track, score, changes = True, (0, 0), []
                while not (score[0] == score[1] >= 1):
                    score = await scores.receive()
                    changes.append(score)
                    a.track, b.track = score[1] > score[0], score[1] <= score[0]
                assert changes[0] == (0, 1)
                await other_done.wait()
                fast_clock.jump(ROUND_CAP)
            finish = await next_event(live[top.id], "tournament-match-finish")
            while finish["finish_reason"] != "timeout":  # past the other semi-final's
                finish = await next_event(live[top.id], "tournament-match-finish")
            final = await game_start(live[fourth.id])

    assert a.first_state is not None
    assert 0 < 60 * a.first_state["minutes_left"] + a.first_state["seconds_left"] <= ROUND_CAP
    assert a.ended == b.ended
    assert a.ended is not None and a.ended["reason"] == "timeout"
    assert (a.ended["initiator_score"], a.ended["invited_score"]) == score
    assert a.ended["winner_id"] == fourth.id
    assert (finish["winner"], finish["looser"]) == ("dave", "alice")
    assert (finish["score_winner"], finish["score_looser"]) == (score[1], score[0])
    assert fourth.id in final["team_a"] + final["team_b"]

    record = (await client.get(f"/api/game/tournaments/{cup['id']}/", headers=top.headers)).json()
    semi = next(m for m in record["matches"]["semi-final"] if m["code"] == capped["code"])
    assert (semi["winner_id"], semi["finish_reason"], semi["score_a"], semi["score_b"]) == (
        fourth.id, "timeout", *score)
    history = (await client.get(f"/api/users/{top.id}/tournaments/", headers=top.headers)).json()
    assert (history["results"][0]["eliminated_in"], history["results"][0]["won"]) == (1, False)
