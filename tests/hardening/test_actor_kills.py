"""Actors killed while people play, chat and queue (issue 19, point 4): a tenth of the
chat rooms, lobbies and tournaments at random, then the matchmakers and the
notification hub. No stored message or match result is lost, nobody is left
engaged, and every restart is counted in /metrics."""

from __future__ import annotations

import random
import re

import httpx
import trio
import trio_websocket

from courtside.actors.chat_room import room_name
from courtside.actors.hub import HUB
from courtside.actors.lobbies import LOBBY
from courtside.actors.tournament import TOURNAMENT
from courtside.server.node import Node
from tests.accounts import Account, make_user
from tests.chat.conversation import CHATS, open_dialogue
from tests.games.conftest import playing, queue_pair, until_recorded
from tests.live.conftest import user_socket

EACH = 10  # chat rooms, lobbies and tournaments
RESTARTED_WITHIN = 10.0


async def _restarts(client: httpx.AsyncClient) -> dict[str, float]:
    text = (await client.get("/metrics")).text
    return {kind: float(value) for kind, value in
            re.findall(r'^courtside_actor_restarts_total\{kind="([^"]+)"\} (\S+)$', text, re.MULTILINE)}


async def _posted(client: httpx.AsyncClient, path: str, account: Account, body: dict) -> dict:
    response = await client.post(path, json=body, headers=account.headers)
    assert response.status_code == 201, (path, response.text)
    return response.json()


async def test_killed_actors_lose_nothing_and_leave_nobody_engaged(
    client: httpx.AsyncClient, node: Node
) -> None:
    owners = [await make_user(client, f"owner{n}") for n in range(EACH)]
    hosts = [await make_user(client, f"host{n}") for n in range(EACH)]
    waiting = await make_user(client, "waiting")
    chats = [await open_dialogue(client, owners[n], hosts[n]) for n in range(EACH)]
    said = {chat_id: [(await _posted(client, f"{CHATS}{chat_id}/messages/", owners[n],
                                     {"content": f"hello {n}"}))["id"]]
            for n, chat_id in enumerate(chats)}
    lobbies = [(await _posted(client, "/api/play/lobby/", owner, {"game_mode": "clash"}))["code"]
               for owner in owners]
    tournaments = [(await _posted(client, "/api/play/tournament/", host, {"name": "cup", "size": 4}))["code"]
                   for host in hosts]
    await _posted(client, "/api/play/ranked/", waiting, {})  # alone there: never paired
    alice, bob, start, _ = await queue_pair(client, node)

    supervisor = node.services.supervisor
    chosen = random.Random(19)
    lobby_killed = chosen.randrange(EACH)
    victims = [room_name(chosen.choice(chats)), LOBBY + lobbies[lobby_killed],
               TOURNAMENT + chosen.choice(tournaments)]
    async with (
        user_socket(node, waiting) as channel,
        playing(start, alice, bob) as (alices_game, bobs_game),
    ):
        for name in [*victims, "queue:duel", "queue:ranked"]:
            assert supervisor.kill(name), name
        # The chat keeps going meanwhile: every room answers, the killed one once restarted.
        with trio.fail_after(RESTARTED_WITHIN):
            for n, chat_id in enumerate(chats):
                while (sent := await client.post(f"{CHATS}{chat_id}/messages/", json={"content": "again"},
                                                 headers=hosts[n].headers)).status_code != 201:
                    assert sent.status_code == 503, sent.text
                    await trio.sleep(0.1)
                said[chat_id].append(sent.json()["id"])
        assert supervisor.kill(HUB)
        # The hub's sockets are closed with 1011, to reconnect (and replay) at once.
        with trio.fail_after(RESTARTED_WITHIN):
            try:
                while True:
                    await channel.receive()
            except trio_websocket.ConnectionClosed as closed:
                assert closed.reason.code == 1011
        await alices_game.until("game_state_update")  # the match plays on
        await bobs_game.send("report_left")
        ended = await alices_game.until("game_ended")
        assert ended["winner_id"] == alice.id
    with trio.fail_after(RESTARTED_WITHIN):
        while True:
            try:
                async with user_socket(node, waiting) as again:
                    await again.send("ping")
                    assert (await again.receive())["type"] == "pong"
                    break
            except trio_websocket.ConnectionClosed:
                await trio.sleep(0.1)  # before the new hub took it

    with trio.fail_after(RESTARTED_WITHIN):
        await until_recorded(node, start["code"])
    for n, chat_id in enumerate(chats):
        stored = (await client.get(f"{CHATS}{chat_id}/messages/", headers=owners[n].headers)).json()
        assert sorted(message["id"] for message in stored["results"]) == sorted(said[chat_id])
    # Nobody is left engaged: the player whose queue was killed, the match's players and
    # the killed lobby's owner may all queue.
    for player in (waiting, alice, bob, owners[lobby_killed]):
        assert (await client.post("/api/play/duel/", headers=player.headers)).status_code == 201, player
    restarts = await _restarts(client)
    assert {kind: restarts.get(kind, 0) for kind in ("chat", "lobby", "tournament", "queue", "hub")} == {
        "chat": 1, "lobby": 1, "tournament": 1, "queue": 2, "hub": 1}
