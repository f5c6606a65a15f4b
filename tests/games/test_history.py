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
    assert [(c["match_code"], c["trophies_before"]) for c in trophies["results"]] == [
        (second, 1016), (first, 1000),
    ]
    assert trophies["trophies"] == trophies["results"][0]["trophies_after"]

    stats = (await client.get("/api/users/me/stats/", headers=alice.headers)).json()
    by_mode = {line["mode"]: line for line in stats["modes"]}
    assert (by_mode["global"]["games"], by_mode["global"]["wins"]) == (3, 2)
    assert (by_mode["ranked"]["wins"], by_mode["ranked"]["best_win_streak"]) == (2, 2)
    assert (by_mode["duel"]["losses"], by_mode["global"]["current_win_streak"]) == (1, 0)
    assert stats["best_enemy"]["user_id"] == bob.id
    assert stats["worst_enemy"]["user_id"] == bob.id
    public = (await client.get(f"/api/users/{alice.id}/stats/", headers=bob.headers)).json()
    assert public["modes"] == stats["modes"]

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
