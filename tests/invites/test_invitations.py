"""Invitations: one user asks another to play, in their dialogue, and the answer settles it."""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.actors.invitations import INVITATIONS, INVITE_EXPIRY
from courtside.server.node import Node
from tests.accounts import make_user
from tests.lobbies.conftest import create_lobby

from .conftest import answer, cancel, invitation_message, invited, next_event


async def test_an_accepted_1v1_invite_starts_the_match_for_both(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    bus = node.services.bus
    async with bus.connect(alice.id) as alice_live, bus.connect(bob.id) as bob_live:
        sent = await invited(client, alice, bob)
        assert (sent["status"], sent["match_type"], sent["invitee_id"]) == ("pending", "1v1", bob.id)
        # The invitation is a message of their dialogue, fanned out as any message.
        message = await next_event(bob_live, "receive-message")
        assert (message["id"], message["type"], message["chat_id"]) == (sent["id"], "invite", sent["chat_id"])
        assert message["payload"]["status"] == "pending"
        assert message["actions"]["accept_link"] == f"/api/play/invites/{sent['id']}/accept/"
        assert (await next_event(bob_live, "unread_messages"))["amount_unseen"] == 1
        event = await next_event(bob_live, "invite-1v1")
        assert (event["id"], event["code"], event["username"]) == (sent["id"], None, "alice")

        accepted = await answer(client, bob, sent["id"], "accept")
        assert accepted.status_code == 200, accepted.text
        match = accepted.json()["match"]
        alice_start = await next_event(alice_live, "game-start")
        bob_start = await next_event(bob_live, "game-start")
        assert alice_start["code"] == bob_start["code"] == match["code"]
        assert (alice_start["opponent_id"], bob_start["opponent_id"]) == (bob.id, alice.id)
        assert bob_start["ws_url"] == match["ws_url"]
        updated = await next_event(alice_live, "update-message")
        assert (updated["id"], updated["payload"]["status"], updated["actions"]) == (
            sent["id"], "accepted", {})
    stored = await invitation_message(client, bob, sent["chat_id"])
    assert stored["payload"]["status"] == "accepted"
    # Both are in the match now, and the invitation is spent.
    assert (await client.post("/api/play/duel/", headers=alice.headers)).status_code == 409
    again = await answer(client, bob, sent["id"], "accept")
    assert (again.status_code, again.json()["code"]) == (409, "invite_accepted")


async def test_a_declined_invite_tells_the_inviter_and_cannot_be_accepted(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    sent = await invited(client, alice, bob)
    async with node.services.bus.connect(alice.id) as alice_live:
        declined = await answer(client, bob, sent["id"], "decline")
        assert (declined.status_code, declined.json()["status"]) == (200, "declined")
        updated = await next_event(alice_live, "update-message")
        assert (updated["payload"]["status"], updated["status"]) == ("declined", "declined")
    late = await answer(client, bob, sent["id"], "accept")
    assert (late.status_code, late.json()["code"]) == (409, "invite_declined")
    assert (await invitation_message(client, alice, sent["chat_id"]))["payload"]["status"] == "declined"
    # Nobody was engaged by it.
    assert (await client.post("/api/play/duel/", headers=bob.headers)).status_code == 201


async def test_an_invite_expires_after_five_minutes(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    sent = await invited(client, alice, bob)
    async with node.services.bus.connect(bob.id) as bob_live:
        fast_clock.jump(INVITE_EXPIRY - 5)
        await trio.sleep(1)
        assert (await invitation_message(client, bob, sent["chat_id"]))["payload"]["status"] == "pending"
        fast_clock.jump(10)
        updated = await next_event(bob_live, "update-message")
        assert (updated["id"], updated["payload"]["status"]) == (sent["id"], "expired")
    late = await answer(client, bob, sent["id"], "accept")
    assert (late.status_code, late.json()["code"]) == (409, "invite_expired")
    # Expired, it no longer stands in the way of a new one.
    assert (await invited(client, alice, bob))["id"] != sent["id"]


async def test_the_inviter_cancels_and_the_invitee_hears_it(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    sent = await invited(client, alice, bob)
    not_theirs = await cancel(client, bob, sent["id"])
    assert (not_theirs.status_code, not_theirs.json()["code"]) == (403, "not_inviter")
    async with node.services.bus.connect(bob.id) as bob_live:
        assert (await cancel(client, alice, sent["id"])).status_code == 204
        updated = await next_event(bob_live, "update-message")
        assert updated["payload"]["status"] == "cancelled"
    late = await answer(client, bob, sent["id"], "accept")
    assert (late.status_code, late.json()["code"]) == (409, "invite_cancelled")
    twice = await cancel(client, alice, sent["id"])
    assert (twice.status_code, twice.json()["code"]) == (409, "invite_cancelled")


async def test_a_clash_invite_joins_the_invitee_to_the_inviters_lobby(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    lobby = await create_lobby(client, alice, game_mode="clash")
    async with node.services.bus.connect(bob.id) as bob_live:
        sent = await invited(client, alice, bob, "clash")
        event = await next_event(bob_live, "invite-clash")
        assert (event["id"], event["code"], event["username"]) == (sent["id"], lobby["code"], "alice")
    accepted = await answer(client, bob, sent["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["lobby"]["id"] == bob.id
    mine = await client.get("/api/play/lobby/", headers=bob.headers)
    assert (mine.status_code, mine.json()["code"]) == (200, lobby["code"])


async def test_a_restarted_invitations_actor_keeps_pending_invitations(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    sent = await invited(client, alice, bob)
    first = node.services.registry.lookup(INVITATIONS)
    first.send_nowait("not a message")  # the actor crashes on it; its supervisor restarts it
    with trio.fail_after(5):
        while node.services.registry.lookup(INVITATIONS) in (None, first):
            await trio.sleep(0.05)
    assert (await answer(client, bob, sent["id"], "decline")).json()["status"] == "declined"
