"""What finished matches leave behind: records, histories, stats, trophies, replays."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import forfeited_match, game_client, queue_pair

TIMEOUT = 300.0


async def test_ranked_results_move_trophies_and_fill_the_history(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    with trio.fail_after(TIMEOUT):
        first = await forfeited_match(client, node, alice, bob, "ranked")
        second = await forfeited_match(client, node, alice, bob, "ranked")
        third = await forfeited_match(client, node, bob, alice, "duel")

    record = (await client.get(f"/api/game/matches/{first}/", headers=bob.headers)).json()
    assert (record["code"], record["game_mode"], record["reason"]) == (first, "ranked", "forfeit")
    assert record["status"] == "finished"
    assert record["winning_team"] == "a"
    assert [(p["user_id"], p["team"]) for p in record["players"]] == [(alice.id, "a"), (bob.id, "b")]
    assert (record["players"][0]["trophies_before"], record["players"][0]["trophies_after"]) == (1000, 1016)
    assert (record["players"][1]["trophies_before"], record["players"][1]["trophies_after"]) == (1000, 984)

    history = (await client.get(f"/api/users/{alice.id}/matches/?limit=2", headers=bob.headers)).json()
    assert history["count"] == 3
    assert [m["code"] for m in history["results"]] == [third, second]
    assert history["next"] is not None

    trophies = (await client.get("/api/users/me/stats/ranked/", headers=alice.headers)).json()
    assert trophies["count"] == 2
    latest, earliest = trophies["results"]
    assert set(latest) == {"id", "trophies", "total_trophies", "at", "match_code"}
    assert (earliest["match_code"], earliest["trophies"], earliest["total_trophies"]) == (
        first, 16, 1016)
    assert latest["match_code"] == second and latest["trophies"] > 0
    assert latest["total_trophies"] == 1016 + latest["trophies"] == trophies["trophies"]
    assert latest["at"].endswith("Z") and latest["id"] > earliest["id"]
    bob_trophies = (await client.get("/api/users/me/stats/ranked/", headers=bob.headers)).json()
    assert [c["trophies"] for c in bob_trophies["results"]][-1] == -16

    stats = (await client.get("/api/users/me/stats/", headers=alice.headers)).json()
    assert [line["game_mode"] for line in stats] == ["global", "duel", "clash", "ranked", "tournament"]
    everywhere, duel, clash, ranked, tournament = stats
    assert (everywhere["game_played"], everywhere["wins"], everywhere["current_win_streak"]) == (3, 2, 0)
    assert (ranked["wins"], ranked["longest_win_streak"], ranked["current_win_streak"]) == (2, 2, 2)
    assert (duel["game_played"], duel["wins"], duel["scored"]) == (1, 0, 0)
    assert (clash["game_played"], clash["own_goals"], tournament["tournament_wins"]) == (0, 0, 0)
    assert [("own_goals" in line, "tournament_wins" in line) for line in stats] == [
        (False, False), (False, False), (True, False), (False, False), (False, True)]
    # Rivals per mode: bob beat alice only in duel.
    assert (everywhere["best_enemy"]["user_id"], everywhere["worst_enemy"]["user_id"]) == (bob.id, bob.id)
    assert (ranked["best_enemy"]["wins_against"], ranked["worst_enemy"]) == (2, None)
    assert (duel["best_enemy"], duel["worst_enemy"]["losses_against"]) == (None, 1)
    public = (await client.get(f"/api/users/{alice.id}/stats/", headers=bob.headers)).json()
    assert public == stats

    replay = (await client.get(f"/api/game/matches/{first}/replay/", headers=bob.headers)).json()
    assert set(replay) == {"code", "seed", "team_size", "score_to_win", "inputs"}


async def test_unknown_codes_and_users_are_404(
    fast_clock: MockClock, client: httpx.AsyncClient
) -> None:
    alice = await make_user(client, "alice")
    for path in ("/api/game/matches/nope/", "/api/game/matches/nope/replay/",
                 "/api/users/999999/matches/", "/api/users/999999/stats/"):
        response = await client.get(path, headers=alice.headers)
        assert response.status_code == 404, path


async def test_live_matches_list_the_match_in_progress(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, start, _ = await queue_pair(client, node)
    carol = await make_user(client, "carol")
    with trio.fail_after(TIMEOUT):
        async with game_client(start["ws_url"], alice):
            live = (await client.get("/api/game/live/", headers=carol.headers)).json()
    assert live["count"] == 1
    [match] = live["results"]
    assert (match["code"], match["players"], match["phase"]) == (
        start["code"], [alice.id, bob.id], "waiting",
    )
    assert match["ws_url"] == start["ws_url"]
