"""``GET /api/play/lobby/<code>/``: a lobby and its participants, for its members only."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_user

from .conftest import LOBBY, create_lobby, joined, ready


async def test_members_see_the_lobby_by_its_code(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    await joined(client, code, bob)
    await ready(client, code, bob)

    seen = await client.get(f"{LOBBY}{code}/", headers=bob.headers)
    assert seen.status_code == 200
    lobby = seen.json()
    assert lobby == (await client.get(LOBBY, headers=alice.headers)).json()
    assert (lobby["code"], lobby["game_mode"], lobby["match_type"]) == (code, "custom_game", "1v1")
    assert [(p["id"], p["username"], p["creator"], p["team"], p["is_ready"])
            for p in lobby["participants"]] == [
        (alice.id, "alice", True, "a", False), (bob.id, "bob", False, "b", True)]

    for outsider, url in ((carol, f"{LOBBY}{code}/"), (alice, f"{LOBBY}nosuchcode/")):
        response = await client.get(url, headers=outsider.headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert (await client.delete(f"{LOBBY}{code}/", headers=bob.headers)).status_code == 204
    assert (await client.get(f"{LOBBY}{code}/", headers=bob.headers)).status_code == 404


async def test_a_clash_seats_nobody_by_hand(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    code = (await create_lobby(client, alice, game_mode="clash"))["code"]
    (creator,) = (await client.get(f"{LOBBY}{code}/", headers=alice.headers)).json()["participants"]
    assert "team" not in creator and creator["creator"] is True


async def test_the_openapi_document_describes_lobbies_and_tournaments(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    components = document["components"]["schemas"]
    for path, instance, participant, field in (
        ("/api/play/lobby/{code}/", "LobbyInstance", "LobbyParticipant", "is_ready"),
        ("/api/play/tournament/{code}/", "TournamentInstance", "TournamentParticipant", "alias"),
    ):
        response = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        assert response["schema"] == {"$ref": f"#/components/schemas/{instance}"}
        participants = components[instance]["properties"]["participants"]["items"]
        assert participants == {"$ref": f"#/components/schemas/{participant}"}
        assert field in components[participant]["properties"]
