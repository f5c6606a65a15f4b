"""The OpenAPI document declares issue 18's shapes, whole, from the types that build them."""

from __future__ import annotations

import httpx


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _response(spec: dict, path: str, method: str = "get") -> dict:
    return spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]


async def test_openapi_declares_stats_boards_matches_and_bios(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    for path in ("/api/users/me/stats/", "/api/users/{user_id}/stats/"):
        stats = _response(spec, path)
        assert stats["type"] == "array"
        entry = _resolve(spec, stats["items"])
        assert {"game_mode", "game_played", "wins", "scored", "longest_win_streak",
                "current_win_streak", "own_goals", "tournament_wins"} <= set(entry["properties"])
        enemy = entry["properties"]["best_enemy"]["anyOf"][0]
        assert "wins_against" in _resolve(spec, enemy)["properties"]  # nested types are there too

    trophies = _resolve(spec, _response(spec, "/api/users/me/stats/ranked/"))
    row = _resolve(spec, trophies["properties"]["results"]["items"])
    assert {"id", "trophies", "total_trophies", "at"} <= set(row["properties"])

    board = spec["paths"]["/api/leaderboard/"]["get"]
    assert {parameter["name"] for parameter in board["parameters"]} == {
        "mode", "around", "limit", "offset"}
    line = _resolve(spec, _resolve(spec, _response(spec, "/api/leaderboard/"))["properties"]["me"]
                    ["anyOf"][0])
    assert {"rank", "user", "trophies", "wins", "tournament_wins"} <= set(line["properties"])
    assert "score" not in line["properties"]

    match = _resolve(spec, _response(spec, "/api/game/matches/{code}/"))
    assert set(match["properties"]["status"]["enum"]) == {
        "waiting", "countdown", "playing", "paused", "finished", "aborted"}

    for path, method in (("/api/users/me/", "get"), ("/api/users/me/", "patch"),
                         ("/api/users/{user_id}/", "get")):
        assert "bio" in _resolve(spec, _response(spec, path, method))["properties"], (path, method)
    patch = spec["paths"]["/api/users/me/"]["patch"]["requestBody"]["content"]["application/json"]
    assert "bio" in _resolve(spec, patch["schema"])["properties"]
