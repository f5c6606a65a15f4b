"""Invitations that lose their ground before an answer: they end, and both members hear it."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_user
from tests.lobbies.conftest import LOBBY, create_lobby, joined
from tests.social.graph import block

from .conftest import answer, invitation_message, invited, next_event


async def test_an_invite_into_a_lobby_its_inviter_left_is_refused_and_cancelled(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    lobby = await create_lobby(client, alice, game_mode="clash")
    await joined(client, lobby["code"], carol)  # the lobby outlives alice's leaving
    sent = await invited(client, alice, bob, "clash")
    left = await client.delete(f"{LOBBY}{lobby['code']}/", headers=alice.headers)
    assert left.status_code == 204, left.text
    async with node.services.bus.connect(alice.id) as alice_live:
        accepted = await answer(client, bob, sent["id"], "accept")
        assert (accepted.status_code, accepted.json()["code"]) == (409, "inviter_left_lobby")
        updated = await next_event(alice_live, "update-message")
        assert (updated["id"], updated["payload"]["status"]) == (sent["id"], "cancelled")
    # Bob joined nothing, and the invitation is spent.
    assert (await client.get(LOBBY, headers=bob.headers)).status_code == 404
    assert (await invitation_message(client, bob, sent["chat_id"]))["payload"]["status"] == "cancelled"
    again = await answer(client, bob, sent["id"], "accept")
    assert (again.status_code, again.json()["code"]) == (409, "invite_cancelled")


async def test_a_block_cancels_pending_invitations_both_ways(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    to_bob = await invited(client, alice, bob)
    to_alice = await invited(client, bob, alice)
    bus = node.services.bus
    async with bus.connect(alice.id) as alice_live, bus.connect(bob.id) as bob_live:
        assert (await block(client, alice, bob.id)).status_code == 201
        for live in (alice_live, bob_live):
            settled = {(await next_event(live, "update-message"))["id"] for _ in range(2)}
            assert settled == {to_bob["id"], to_alice["id"]}
    for sent, invitee in ((to_bob, bob), (to_alice, alice)):
        late = await answer(client, invitee, sent["id"], "accept")
        assert (late.status_code, late.json()["code"]) == (409, "invite_cancelled")
    stored = await client.get(f"/api/chat/{to_bob['chat_id']}/messages/", headers=alice.headers)
    assert {m["payload"]["status"] for m in stored.json()["results"] if m["type"] == "invite"} == {
        "cancelled"}
