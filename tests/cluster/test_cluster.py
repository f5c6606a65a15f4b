"""Three real `courtside serve` processes over one PostgreSQL serve one product."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest
import trio
import trio_websocket

from courtside.persistence.cluster import DEAD_AFTER_SECONDS
from tests.accounts import make_user
from tests.chat.conversation import open_dialogue, open_group
from tests.games.conftest import game_client
from tests.live.conftest import WAIT, sse, user_socket
from tests.social.graph import ask, befriend

from .conftest import NODES, Cluster, ServeProcess

# A node is declared dead after 5 s without a heartbeat, then reaped on a survivor's next beat.
REAPED_WITHIN = 10.0


async def _nodes_seen(node: ServeProcess, count: int) -> dict:
    """/readyz of ``node`` once it sees ``count`` live nodes, each serving HTTP (a node
    joins as soon as its game port listens, and names its HTTP URL once bound)."""
    async with node.client as client:
        with trio.fail_after(5):
            while True:
                ready = (await client.get("/readyz")).json()
                if len(ready["nodes"]) == count and all(n["http_url"] for n in ready["nodes"]):
                    return ready
                await trio.sleep(0.1)


async def test_every_node_sees_the_cluster_and_honours_its_tokens(cluster: Cluster) -> None:
    a, b, c = cluster.nodes
    async with a.client as on_a, b.client as on_b:
        alice = await make_user(on_a, "alice")
        me = await on_b.get("/api/users/me/", headers=alice.headers)
        assert me.status_code == 200 and me.json()["id"] == alice.id
        refreshed = await on_b.post("/api/auth/refresh/", json={"refresh": alice.refresh})
        assert refreshed.status_code == 200
    ready = await _nodes_seen(c, 3)
    assert sorted(node["http_url"] for node in ready["nodes"]) == sorted(n.http_url for n in cluster.nodes)
    assert ready["node"]["id"] in {node["id"] for node in ready["nodes"]}
    async with c.client as on_c:
        assert "courtside_cluster_nodes_alive 3.0" in (await on_c.get("/metrics")).text


async def test_an_event_reaches_the_user_on_whichever_node_they_are(cluster: Cluster) -> None:
    a, b, c = cluster.nodes
    async with a.client as on_a, c.client as on_c:
        alice, bob = await make_user(on_a, "alice"), await make_user(on_a, "bob")
        async with user_socket(a, alice) as on_socket, sse(on_c, alice) as on_stream:
            sent = await ask(on_c, bob, "alice")  # through a third node
            assert sent.status_code == 201
            for channel in (on_socket, on_stream):
                event = await channel.next()
                assert (event.name, event.data["id"]) == ("receive-friend-request", sent.json()["id"])


async def test_users_on_two_nodes_chat(cluster: Cluster) -> None:
    a, b, _ = cluster.nodes
    async with a.client as on_a:
        alice, bob = await make_user(on_a, "alice"), await make_user(on_a, "bob")
        chat_id = await open_dialogue(on_a, alice, bob)
    async with user_socket(a, alice) as alices, user_socket(b, bob) as bobs:
        await bobs.send("send_message", chat_id=chat_id, content="hello from b", client_id="m1")
        heard = await alices.next()
        assert (heard.name, heard.data["content"]) == ("receive-message", "hello from b")
        await alices.send("typing", chat_id=chat_id)
        while (event := await bobs.next()).name != "typing":
            pass
        assert event.data == {"chat_id": chat_id, "user_id": alice.id}


async def test_an_event_too_big_for_notify_travels_through_the_log(cluster: Cluster) -> None:
    a, b, _ = cluster.nodes
    async with a.client as on_a:
        alice, bob = await make_user(on_a, "alice"), await make_user(on_a, "bob")
        chat_id = await open_group(on_a, alice, "wide", [bob])
        content = "\N{TABLE TENNIS PADDLE AND BALL}" * 2000  # 8 kB of UTF-8, past NOTIFY's limit
        async with user_socket(b, bob) as bobs:
            posted = await on_a.post(f"/api/chat/{chat_id}/messages/", json={"content": content},
                                     headers=alice.headers)
            assert posted.status_code == 201, posted.text
            while (event := await bobs.next()).name != "receive-message":
                pass
            assert event.data["content"] == content


async def test_presence_and_the_connection_limit_count_every_node(cluster: Cluster) -> None:
    a, b, c = cluster.nodes
    async with a.client as on_a, c.client as on_c:
        alice, bob = await make_user(on_a, "alice"), await make_user(on_a, "bob")
        await befriend(on_a, alice, bob)
        async with user_socket(a, bob) as bobs:
            async with user_socket(b, alice):
                came = await bobs.next()
                assert (came.name, came.data) == (
                    "presence", {"user_id": alice.id, "is_online": True, "game_playing": None})
                seen = (await on_c.get(f"/api/users/{alice.id}/", headers=bob.headers)).json()
                assert seen["status"]["is_online"] is True
            went = await bobs.next()
            assert (went.name, went.data["is_online"]) == ("presence", False)
        async with contextlib.AsyncExitStack() as tabs:
            for node in (a, b) * 7 + (a,):  # 15 connections over two nodes
                await tabs.enter_async_context(user_socket(node, alice))
            await tabs.enter_async_context(sse(on_c, alice))  # the 16th, on a third
            refused = await on_c.get("/sse/users/", headers=alice.headers)
            assert refused.status_code == 429
            assert refused.json()["code"] == "too_many_connections"


async def test_a_client_replays_what_it_missed_on_another_node(cluster: Cluster) -> None:
    a, b, _ = cluster.nodes
    async with a.client as on_a, b.client as on_b:
        alice = await make_user(on_a, "alice")
        askers = [await make_user(on_a, name) for name in ("bob", "carol", "dave")]
        async with sse(on_a, alice) as stream:
            await ask(on_a, askers[0], "alice")
            first = await stream.next()
        for asker in askers[1:]:
            await ask(on_b, asker, "alice")  # while alice is away
        async with sse(on_b, alice, last_event_id=first.id) as back:
            missed = [await back.next() for _ in askers[1:]]
        assert [event.data["username"] for event in missed] == ["carol", "dave"]
        assert all(event.id > first.id for event in missed)


async def test_a_killed_node_leaves_its_users_offline_and_the_others_serving(cluster: Cluster) -> None:
    a, b, c = cluster.nodes
    async with a.client as on_a:
        alice, bob = await make_user(on_a, "alice"), await make_user(on_a, "bob")
        await befriend(on_a, alice, bob)
        async with user_socket(a, bob) as bobs:
            async with contextlib.AsyncExitStack() as stack:
                await stack.enter_async_context(user_socket(c, alice))
                assert (await bobs.next()).data["is_online"] is True
                c.kill()
                with trio.fail_after(REAPED_WITHIN):
                    # Nothing comes meanwhile: the node is declared dead after 5 s.
                    went = await _next_named(bobs, "presence", wait=REAPED_WITHIN)
                assert went["is_online"] is False
                with contextlib.suppress(trio_websocket.ConnectionClosed, OSError):
                    await stack.aclose()
        await _nodes_seen(a, 2)
        seen = (await on_a.get(f"/api/users/{alice.id}/", headers=bob.headers)).json()
        assert seen["status"]["is_online"] is False
        # A node started again on the same database joins the same cluster.
        await cluster.start_node()
        await _nodes_seen(a, 3)


async def _next_named(socket, name: str, wait: float = WAIT) -> dict:
    while (event := await socket.next(wait)).name != name:
        pass
    return event.data


async def _actors_of_kind(cluster: Cluster, kind: str) -> int:
    """How many nodes run an actor of ``kind`` (from each node's /metrics)."""
    running = 0
    for node in cluster.nodes:
        async with node.client as client:
            for line in (await client.get("/metrics")).text.splitlines():
                if line.startswith(f'courtside_actors{{kind="{kind}"}}'):
                    running += int(float(line.split()[-1]))
    return running


async def test_a_lobby_and_a_tournament_have_one_owner_whichever_node_asks(cluster: Cluster) -> None:
    a, b, c = cluster.nodes
    async with a.client as on_a, b.client as on_b, c.client as on_c:
        alice, bob, carol = [await make_user(on_a, name) for name in ("alice", "bob", "carol")]
        lobby = (await on_a.post("/api/play/lobby/", json={"game_mode": "custom_game"},
                                 headers=alice.headers)).json()
        joined = await on_b.post(f"/api/play/lobby/{lobby['code']}/", headers=bob.headers)
        assert joined.status_code == 201, joined.text
        mine = (await on_c.get("/api/play/lobby/", headers=bob.headers)).json()
        assert {p["id"] for p in mine["participants"]} == {alice.id, bob.id}
        busy = await on_c.post("/api/play/duel/", headers=bob.headers)  # one engagement, cluster-wide
        assert (busy.status_code, busy.json()["code"]) == (409, "already_engaged")

        made = await on_b.post("/api/play/tournament/", json={"name": "cup", "size": 4},
                               headers=carol.headers)
        assert made.status_code == 201, made.text
        code = made.json()["code"]
        for node_client, player in ((on_c, alice),):
            await node_client.delete(f"/api/play/lobby/{lobby['code']}/", headers=player.headers)
            entered = await node_client.post(f"/api/play/tournament/{code}/", json={"alias": "al"},
                                             headers=player.headers)
            assert entered.status_code == 201, entered.text
        seen = (await on_a.get("/api/play/tournament/", headers=alice.headers)).json()
        assert {p["id"] for p in seen["participants"]} == {alice.id, carol.id}
    assert await _actors_of_kind(cluster, "lobby") == 1
    assert await _actors_of_kind(cluster, "tournament") == 1


async def test_players_queued_on_two_nodes_meet_in_one_match(cluster: Cluster) -> None:
    a, b, _ = cluster.nodes
    async with a.client as on_a, b.client as on_b:
        alice, bob = await make_user(on_a, "alice"), await make_user(on_a, "bob")
        async with user_socket(a, alice) as alices, user_socket(b, bob) as bobs:
            assert (await on_a.post("/api/play/duel/", headers=alice.headers)).status_code == 201
            assert (await on_b.post("/api/play/duel/", headers=bob.headers)).status_code == 201
            with trio.fail_after(10):
                alice_start = await _next_named(alices, "game-start")
                bob_start = await _next_named(bobs, "game-start")
        assert alice_start["code"] == bob_start["code"]
        assert (alice_start["opponent_id"], bob_start["opponent_id"]) == (bob.id, alice.id)
        # Spectators find it through any node, with the ws_url of the node it plays on.
        for node in cluster.nodes:
            async with node.client as on_node:
                listed = (await on_node.get("/api/game/live/", headers=alice.headers)).json()["results"]
            assert [(m["code"], m["ws_url"]) for m in listed] == [
                (alice_start["code"], alice_start["ws_url"])]
    assert await _actors_of_kind(cluster, "queue") == 2  # duel and ranked, once each


async def test_a_survivor_takes_over_the_tournament_of_a_killed_node(cluster: Cluster) -> None:
    a, b, c = cluster.nodes
    async with c.client as on_c, a.client as on_a:
        carol, dave = await make_user(on_c, "carol"), await make_user(on_c, "dave")
        made = await on_c.post("/api/play/tournament/", json={"name": "cup", "size": 4},
                               headers=carol.headers)
        code = made.json()["code"]
        # The tournament runs where it was made: kill that node.
        c.kill()
        with trio.fail_after(REAPED_WITHIN + 5):
            while (joined := await on_a.post(f"/api/play/tournament/{code}/", json={},
                                             headers=dave.headers)).status_code != 201:
                assert joined.status_code in (404, 503), joined.text
                await trio.sleep(0.5)
        seen = (await on_a.get("/api/play/tournament/", headers=carol.headers)).json()
        assert {p["id"] for p in seen["participants"]} == {carol.id, dave.id}


async def _pair(on_a, a: ServeProcess, on_b, b: ServeProcess, names: tuple[str, str]) -> tuple:
    """Two new players queue for a duel through two nodes; their game-start events."""
    one, two = await make_user(on_a, names[0]), await make_user(on_a, names[1])
    async with user_socket(a, one) as ones, user_socket(b, two) as twos:
        assert (await on_a.post("/api/play/duel/", headers=one.headers)).status_code == 201
        assert (await on_b.post("/api/play/duel/", headers=two.headers)).status_code == 201
        with trio.fail_after(10):
            start = await _next_named(ones, "game-start")
            assert (await _next_named(twos, "game-start"))["code"] == start["code"]
    return one, two, start


def _port(ws_url: str) -> int:
    return int(ws_url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


async def test_matches_spread_over_the_nodes_and_the_wrong_node_says_where_to_go(
    cluster: Cluster,
) -> None:
    a, b, c = cluster.nodes
    async with a.client as on_a, b.client as on_b:
        starts = [await _pair(on_a, a, on_b, b, (f"p{n}a", f"p{n}b")) for n in range(3)]
    # Each match went to the least-loaded node, counting those just placed.
    assert {_port(start["ws_url"]) for _, _, start in starts} == {n.game_port for n in cluster.nodes}
    player, _, start = starts[0]
    wrong = next(n for n in cluster.nodes if n.game_port != _port(start["ws_url"]))
    with trio.fail_after(10):
        async with game_client(f"ws://127.0.0.1:{wrong.game_port}/ws/game/{start['code']}/",
                               player) as game:
            with pytest.raises(trio_websocket.ConnectionClosed) as closed:
                await game.until("welcome")
    assert (closed.value.reason.code, closed.value.reason.reason) == (4307, start["ws_url"])
    # Any node tells how the match stands, while it waits for its players.
    async with wrong.client as elsewhere:
        seen = (await elsewhere.get(f"/api/game/matches/{start['code']}/",
                                    headers=player.headers)).json()
    assert (seen["status"], seen["ws_url"]) == ("waiting", start["ws_url"])


async def test_a_killed_nodes_match_is_recorded_aborted_and_its_players_are_free(
    cluster: Cluster,
) -> None:
    a, b, _ = cluster.nodes
    async with a.client as on_a, b.client as on_b:
        one, two, start = await _pair(on_a, a, on_b, b, ("alice", "bob"))
        host = next(n for n in cluster.nodes if n.game_port == _port(start["ws_url"]))
        host.kill()
        survivor = next(n for n in cluster.nodes if n is not host)
        async with survivor.client as on_survivor:
            with trio.fail_after(REAPED_WITHIN + 5):
                while (record := await on_survivor.get(f"/api/game/matches/{start['code']}/",
                                                      headers=one.headers)).status_code != 200:
                    await trio.sleep(0.5)
            assert record.json()["reason"] == "aborted"
            for player in (one, two):
                with trio.fail_after(10):
                    while (queued := await on_survivor.post(
                            "/api/play/duel/", headers=player.headers)).status_code != 201:
                        assert queued.status_code in (409, 503), queued.text
                        await trio.sleep(0.5)


async def test_every_node_outlives_a_database_outage_longer_than_the_death_timeout(
    cluster: Cluster, database_outage: Callable
) -> None:
    # Every heartbeat is older than DEAD_AFTER_SECONDS when PostgreSQL comes back; the
    # first node back must not declare the others dead before they could beat again.
    async with database_outage():
        await trio.sleep(DEAD_AFTER_SECONDS + 2)
    await trio.sleep(DEAD_AFTER_SECONDS + 2)
    assert [node.process.poll() for node in cluster.nodes] == [None] * NODES
    for node in cluster.nodes:
        await _nodes_seen(node, NODES)
