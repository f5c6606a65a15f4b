"""What an invitation refuses, each with its own code, and nothing posted or sent for it."""

from __future__ import annotations

import httpx

from courtside.actors.invitations import MAX_PENDING_SENT
from courtside.server.node import Node
from tests.accounts import make_guest, make_user
from tests.lobbies.conftest import create_lobby
from tests.social.graph import block

from .conftest import INVITES, answer, cancel, invite, invited


def refusal(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


async def test_bad_bodies_and_unknown_users_are_refused(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    for body in ({"user_id": bob.id}, {"match_type": "1v1"}, {"user_id": bob.id, "match_type": "2v2"},
                 {"user_id": "bob", "match_type": "1v1"}, {"user_id": 2**63, "match_type": "1v1"},
                 {"user_id": 0, "match_type": "1v1"}):
        response = await client.post(INVITES, json=body, headers=alice.headers)
        assert response.status_code == 400, (body, response.text)
    assert refusal(await invite(client, alice, 999_999)) == (404, "not_found")
    assert refusal(await invite(client, alice, alice.id)) == (403, "invite_self")
    guest = await make_guest(client)
    assert refusal(await invite(client, guest, bob.id)) == (403, "guest_account")
    assert refusal(await invite(client, alice, guest.id)) == (404, "not_found")
    for action in ("accept", "decline"):
        assert refusal(await answer(client, bob, 123_456, action)) == (404, "invite_not_found")
        assert refusal(await answer(client, bob, 2**64, action)) == (404, "invite_not_found")
    assert refusal(await cancel(client, alice, 2**64)) == (404, "invite_not_found")


async def test_blocks_stop_invitations_both_ways(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    assert (await block(client, bob, alice.id)).status_code == 201
    assert refusal(await invite(client, alice, bob.id)) == (404, "not_found")  # bob hides from her
    assert refusal(await invite(client, bob, alice.id)) == (403, "user_blocked")
    # A block made after the invitation cancels it (see test_settling.py).
    sent = await invited(client, alice, carol)
    assert (await block(client, alice, carol.id)).status_code == 201
    assert refusal(await answer(client, carol, sent["id"], "accept")) == (409, "invite_cancelled")


async def test_only_the_invitee_answers_and_only_the_pair_sees_it(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    sent = await invited(client, alice, bob)
    assert refusal(await answer(client, alice, sent["id"], "accept")) == (403, "not_invitee")
    assert refusal(await answer(client, carol, sent["id"], "accept")) == (404, "invite_not_found")
    assert refusal(await cancel(client, carol, sent["id"])) == (404, "invite_not_found")
    assert refusal(await invite(client, alice, bob.id)) == (409, "invite_exists")


async def test_players_already_busy_are_refused(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    assert (await client.post("/api/play/duel/", headers=bob.headers)).status_code == 201
    assert refusal(await invite(client, alice, bob.id)) == (409, "invitee_engaged")
    assert refusal(await invite(client, bob, alice.id)) == (409, "already_engaged")
    # The inviter went busy after inviting: the accept is refused, the invitation stands.
    # (Carol waits in the other queue: in bob's, the matchmaker could pair them meanwhile.)
    sent = await invited(client, carol, alice)
    assert (await client.post("/api/play/ranked/", headers=carol.headers)).status_code == 201
    assert refusal(await answer(client, alice, sent["id"], "accept")) == (409, "inviter_engaged")
    assert (await client.delete("/api/play/ranked/", headers=carol.headers)).status_code == 204
    assert (await answer(client, alice, sent["id"], "accept")).status_code == 200


async def test_team_invitations_need_the_inviters_lobby_of_that_kind(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    assert refusal(await invite(client, alice, bob.id, "3v3")) == (409, "lobby_required")
    await create_lobby(client, alice, game_mode="clash")
    assert refusal(await invite(client, alice, bob.id, "3v3")) == (409, "lobby_mismatch")
    assert refusal(await invite(client, alice, bob.id, "1v1")) == (409, "already_engaged")
    assert (await invite(client, alice, bob.id, "clash")).status_code == 201


async def test_an_inviter_has_at_most_so_many_pending_invitations(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    friends = [await make_user(client, f"friend{i}") for i in range(MAX_PENDING_SENT + 1)]
    for friend in friends[:MAX_PENDING_SENT]:
        await invited(client, alice, friend)
    assert refusal(await invite(client, alice, friends[-1].id)) == (409, "too_many_invites")
    # An answer frees a place.
    first = await client.get("/api/chat/", headers=friends[0].headers)
    invite_id = first.json()["results"][0]["last_message"]["id"]
    assert (await answer(client, friends[0], invite_id, "decline")).status_code == 200
    await invited(client, alice, friends[-1])
