"""Every request refused because the caller is engaged elsewhere says where, in their words."""

from __future__ import annotations

import httpx

from courtside.actors.engagements import place
from courtside.server.node import Node
from tests.accounts import make_user
from tests.games.conftest import forfeited_match
from tests.invites.conftest import INVITES, answer, invited
from tests.tournaments.conftest import TOURNAMENT, create_tournament

from .conftest import LOBBY, create_lobby, join
from .test_rematch import rematch_url


def test_engagements_are_named_as_their_users_know_them() -> None:
    assert place("lobby:kZSg5CmDIW") == "a lobby (code kZSg5CmDIW)"
    assert place("tournament:Q1w2E3r4T5") == "a tournament (code Q1w2E3r4T5)"
    assert place("match:Zx9Cv8Bn7M") == "a match (code Zx9Cv8Bn7M)"
    assert place("queue:ranked") == "the ranked queue"
    assert place("lobby:kZSg5CmDIW", with_code=False) == "a lobby"


async def test_every_already_engaged_path_names_the_lobby_by_its_code(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, carol, dave, erin = [
        await make_user(client, name) for name in ("alice", "bob", "carol", "dave", "erin")]
    finished = await forfeited_match(client, node, alice, bob)
    carols_invitation = await invited(client, carol, alice)
    mine = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    bobs = (await create_lobby(client, bob, game_mode="clash"))["code"]
    daves = (await create_tournament(client, dave, name="Spring cup", size=4))["code"]

    refusals = {
        "create a lobby": await client.post(LOBBY, json={"game_mode": "clash"}, headers=alice.headers),
        "join a lobby": await join(client, alice, bobs),
        "create a tournament": await client.post(
            TOURNAMENT, json={"name": "Alice cup", "size": 4}, headers=alice.headers),
        "join a tournament": await client.post(f"{TOURNAMENT}{daves}/", headers=alice.headers),
        "queue": await client.post("/api/play/duel/", headers=alice.headers),
        "ask a rematch": await client.post(rematch_url(finished), headers=alice.headers),
        "invite": await client.post(INVITES, json={"user_id": erin.id, "match_type": "1v1"},
                                    headers=alice.headers),
        "accept an invitation": await answer(client, alice, carols_invitation["id"], "accept"),
    }
    expected = {"detail": f"You are already in a lobby (code {mine}).", "code": "already_engaged"}
    assert {path: (r.status_code, r.json()) for path, r in refusals.items()} == {
        path: (409, expected) for path in refusals}


async def test_the_queue_and_other_peoples_engagements_read_plainly(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    assert (await client.post("/api/play/ranked/", headers=bob.headers)).status_code == 201
    own = await client.post(LOBBY, json={"game_mode": "clash"}, headers=bob.headers)
    assert own.json()["detail"] == "You are already in the ranked queue."
    await create_lobby(client, carol, game_mode="clash")
    busy_invitee = await client.post(INVITES, json={"user_id": carol.id, "match_type": "1v1"},
                                     headers=alice.headers)
    assert (busy_invitee.status_code, busy_invitee.json()["code"]) == (409, "invitee_engaged")
    # Someone else's lobby is not named by its code: the code is the way in.
    assert busy_invitee.json()["detail"] == "This user is already in a lobby."
