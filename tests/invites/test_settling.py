"""Invitations that lose their ground before an answer: they end, and both members hear it."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_user
from tests.lobbies.conftest import LOBBY, create_lobby, joined

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

