"""A tournament's group chat: its participants are its members, and the tournament
announces its start, rounds, results and winner there as system messages."""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Any

import httpx
import trio
from trio.testing import MockClock

from courtside.actors import Connection
from courtside.server.node import Node
from tests.accounts import Account, make_user
from tests.live.conftest import user_socket

from .conftest import (
    ROUND_WAIT,
    TOURNAMENT,
    create_tournament,
    join,
    joined,
    next_event,
    play_every_round,
)

TIMEOUT = 300.0  # virtual seconds
CHATS = "/api/chat/"
# What a 4-player tournament announces, in order (the two semi-finals end in either order).
ANNOUNCED = ["tournament_start", "round_start", "match_result", "match_result",
             "round_start", "match_result", "tournament_winner"]


async def member_ids(client: httpx.AsyncClient, chat_id: int, viewer: Account) -> set[int]:
    response = await client.get(f"{CHATS}{chat_id}/", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return {member["id"] for member in response.json()["members"]}


async def chat_messages(client: httpx.AsyncClient, chat_id: int, viewer: Account) -> list[dict[str, Any]]:
    """Every message of the chat, oldest first."""
    response = await client.get(f"{CHATS}{chat_id}/messages/?limit=100", headers=viewer.headers)
    assert response.status_code == 200, response.text
    return response.json()["results"][::-1]


async def play_a_cup(client: httpx.AsyncClient, node: Node, players: list[Account]) -> dict[str, Any]:
    """alice's 4-player cup, played to its winner; its instance as created."""
    by_id = {p.id: p for p in players}
    async with AsyncExitStack() as stack:
        live = {p.id: await stack.enter_async_context(node.services.bus.connect(p.id)) for p in players}
        cup = await create_tournament(client, players[0], alias="Queen")
        await joined(client, cup["code"], *players[1:])
        started = await next_event(live[players[3].id], "tournament-start")
        await play_every_round(started, live, by_id)
        # Announcements are posted after the news they follow: wait for the last one.
        await until_heard(live[players[3].id], {"tournament-finish", "tournament_winner"})
    return cup


async def until_heard(connection: Connection, names: set[str]) -> None:
    """Read events until each name was heard: an event's, or a system message's."""
    with trio.fail_after(ROUND_WAIT):
        while names:
            event = await connection.events.receive()
            names.discard(event.name)
            if event.name == "receive-message" and event.data["type"] == "system":
                names.discard(event.data["payload"]["event"])


async def test_a_participant_hears_every_announcement_in_order_on_their_socket(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    players = [await make_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    alias = {players[0].id: "Queen", **{p.id: p.username for p in players[1:]}}
    with trio.fail_after(TIMEOUT):
        async with user_socket(node, players[1]) as bob_socket:
            cup = await play_a_cup(client, node, players)
            chat_id = cup["chat_id"]
            heard: list[dict[str, Any]] = []
            unread: list[int] = []
            while not heard or heard[-1]["payload"]["event"] != "tournament_winner":
                event = await bob_socket.next()
                if event.data.get("chat_id") != chat_id:
                    continue
                if event.name == "receive-message":
                    heard.append(event.data)
                elif event.name == "unread_messages":
                    unread.append(event.data["amount_unseen"])

    assert [message["payload"]["event"] for message in heard] == ANNOUNCED
    assert all((m["type"], m["author"], m["username"]) == ("system", None, None) for m in heard)
    first_round = heard[1]["payload"]
    assert first_round["name"] == "semi-final"
    pairings = {frozenset((p["player_a"]["alias"], p["player_b"]["alias"]))
                for p in first_round["pairings"]}
    assert pairings == {frozenset(("Queen", "dave")), frozenset(("bob", "carol"))}
    assert heard[1]["content"].startswith("The semi-final begins: ")
    final = heard[4]["payload"]
    assert [p["player_a"]["alias"] for p in final["pairings"]] == ["Queen"]
    assert heard[-1]["content"] == "Queen wins Cup!"
    assert heard[-1]["payload"]["winner"] == {"id": players[0].id, "alias": alias[players[0].id]}
    assert unread and max(unread) >= 1  # bob never read: his count went up

    # The tournament is over; its chat stays, with everyone who played, and bob's
    # unread count is every announcement.
    assert await member_ids(client, chat_id, players[2]) == {p.id for p in players}
    chat = (await client.get(f"{CHATS}{chat_id}/", headers=players[1].headers)).json()
    assert (chat["type"], chat["admin_id"], chat["unread_messages"]) == ("group", None, 7)
    stored = await chat_messages(client, chat_id, players[3])
    assert [m["id"] for m in stored] == [m["id"] for m in heard]


async def test_the_chat_follows_who_joins_and_leaves_before_the_start(
    client: httpx.AsyncClient,
) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    cup = await create_tournament(client, alice)
    chat_id = cup["chat_id"]
    assert await member_ids(client, chat_id, alice) == {alice.id}
    await joined(client, cup["code"], bob, carol)
    assert await member_ids(client, chat_id, alice) == {alice.id, bob.id, carol.id}
    listed = (await client.get(CHATS, headers=bob.headers)).json()["results"]
    assert [c["name"] for c in listed if c["id"] == chat_id] == ["Cup"]

    left = await client.delete(f"{TOURNAMENT}{cup['code']}/", headers=bob.headers)
    assert left.status_code == 204, left.text
    assert await member_ids(client, chat_id, alice) == {alice.id, carol.id}
    assert (await client.get(f"{CHATS}{chat_id}/messages/", headers=bob.headers)).status_code == 403

    banned = await client.delete(f"{TOURNAMENT}{cup['code']}/ban/{carol.id}/", headers=alice.headers)
    assert banned.status_code == 204, banned.text
    assert await member_ids(client, chat_id, alice) == {alice.id}

    # Nobody administers it but the tournament: its creator cannot add anyone.
    added = await client.post(f"{CHATS}{chat_id}/members/{bob.id}/", headers=alice.headers)
    assert added.status_code == 403
    shown = (await client.get(TOURNAMENT, headers=alice.headers)).json()
    assert shown["chat_id"] == chat_id
    rejoined = await join(client, bob, cup["code"])
    assert rejoined.status_code == 201, rejoined.text
    assert await member_ids(client, chat_id, bob) == {alice.id, bob.id}


async def test_a_restarted_tournament_posts_no_announcement_twice(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node, killed_once: list[str]
) -> None:
    players = [await make_user(client, name) for name in ("alice", "bob", "carol", "dave")]
    with trio.fail_after(TIMEOUT):
        cup = await play_a_cup(client, node, players)
    assert killed_once and node.services.supervisor.restarts == 1

    stored = await chat_messages(client, cup["chat_id"], players[0])
    assert [m["payload"]["event"] for m in stored] == ANNOUNCED
    results = [m["payload"]["match_code"] for m in stored if m["payload"]["event"] == "match_result"]
    assert len(set(results)) == 3 and killed_once[0] in results
