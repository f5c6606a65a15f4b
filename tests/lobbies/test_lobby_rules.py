"""Every refusal of the reference's Lobby API, and the events members hear."""

from __future__ import annotations

import httpx

from courtside.server.node import Node
from tests.accounts import make_guest, make_user
from tests.social.graph import block

from .conftest import LOBBY, create_lobby, join, joined, next_event, next_lobby_event, ready, set_self


async def test_bad_create_bodies_are_400(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    for body, field in (
        ({"game_mode": "duel"}, "game_mode"),
        ({}, "game_mode"),
        ({"game_mode": "clash", "match_type": "1v1"}, "match_type"),
        ({"game_mode": "custom_game", "score_to_win": 22}, "score_to_win"),
        ({"game_mode": "custom_game", "score_to_win": 0}, "score_to_win"),
        ({"game_mode": "custom_game", "match_type": "2v2"}, "match_type"),
    ):
        response = await client.post(LOBBY, json=body, headers=alice.headers)
        assert response.status_code == 400, (body, response.text)
        assert field in response.json()["errors"], response.json()


async def test_one_engagement_at_a_time_is_409(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    lobby = await create_lobby(client, alice, game_mode="custom_game")
    again = await client.post(LOBBY, json={"game_mode": "clash"}, headers=alice.headers)
    assert (again.status_code, again.json()["code"]) == (409, "already_engaged")
    assert (await client.post("/api/play/duel/", headers=alice.headers)).status_code == 409
    assert (await join(client, alice, lobby["code"])).json()["code"] == "already_in_lobby"
    # Queued elsewhere: neither creating nor joining.
    assert (await client.post("/api/play/duel/", headers=bob.headers)).status_code == 201
    assert (await client.post(LOBBY, json={"game_mode": "clash"}, headers=bob.headers)).status_code == 409
    assert (await join(client, bob, lobby["code"])).status_code == 409


async def test_lookups_without_a_lobby(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    assert (await client.get(LOBBY, headers=alice.headers)).status_code == 404
    assert (await client.patch(LOBBY, json={"match_type": "3v3"}, headers=alice.headers)).status_code == 404
    assert (await join(client, alice, "nosuchcode")).status_code == 404
    for response in (
        await set_self(client, alice, "nosuchcode", is_ready=True),
        await client.delete(f"{LOBBY}nosuchcode/", headers=alice.headers),
        await client.delete(f"{LOBBY}nosuchcode/ban/1/", headers=alice.headers),
        await client.post(f"{LOBBY}nosuchcode/message/", json={"content": "hi"}, headers=alice.headers),
    ):
        assert (response.status_code, response.json()["code"]) == (403, "not_in_lobby")


async def test_a_creator_who_blocked_you_hides_the_lobby(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    lobby = await create_lobby(client, alice, game_mode="custom_game")
    assert (await block(client, alice, bob.id)).status_code == 201
    assert (await join(client, bob, lobby["code"])).status_code == 404
    invited = await client.post(f"{LOBBY}{lobby['code']}/invite/{bob.id}/", headers=alice.headers)
    assert invited.status_code == 404


async def test_settings_are_the_creators_and_a_clash_has_none(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    clash = await create_lobby(client, alice, game_mode="clash")
    patched = await client.patch(LOBBY, json={"match_type": "1v1"}, headers=alice.headers)
    assert patched.status_code == 405
    await joined(client, clash["code"], bob)
    team = await set_self(client, bob, clash["code"], team="a")
    assert team.status_code == 400 and "team" in team.json()["errors"]
    for member in (alice, bob):
        assert (await client.delete(f"{LOBBY}{clash['code']}/", headers=member.headers)).status_code == 204

    async with node.services.bus.connect(bob.id) as bob_live:
        custom = await create_lobby(client, bob, game_mode="custom_game")
        await joined(client, custom["code"], alice)
        await next_lobby_event(bob_live)  # alice's lobby-join
        refused = await client.patch(LOBBY, json={"match_type": "3v3"}, headers=alice.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "not_lobby_creator")
        async with node.services.bus.connect(alice.id) as alice_live:
            changed = await client.patch(LOBBY, json={"match_type": "3v3", "score_to_win": 11},
                                         headers=bob.headers)
            assert changed.status_code == 200, changed.text
            assert (changed.json()["match_type"], changed.json()["max_participants"]) == ("3v3", 14)
            name, update = await next_lobby_event(alice_live)
            assert (name, update["match_type"], update["score_to_win"]) == ("lobby-update", "3v3", 11)


async def test_teams_fill_then_refuse_and_shrinking_sends_players_to_the_stands(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob, carol = [await make_user(client, n) for n in ("alice", "bob", "carol")]
    lobby = await create_lobby(client, alice, game_mode="custom_game", match_type="3v3")
    code = lobby["code"]
    await joined(client, code, bob, carol)
    teams = {p["id"]: p["team"] for p in (await client.get(LOBBY, headers=bob.headers)).json()["participants"]}
    assert teams == {alice.id: "a", bob.id: "a", carol.id: "a"}
    async with node.services.bus.connect(alice.id) as alice_live:
        moved = await set_self(client, carol, code, team="b", is_ready=True)
        assert (moved.status_code, moved.json()["team"], moved.json()["is_ready"]) == (200, "b", True)
        name, update = await next_lobby_event(alice_live)
        assert (name, update) == ("lobby-update-participant", {"id": carol.id, "team": "b", "is_ready": True})
    await client.patch(LOBBY, json={"match_type": "1v1"}, headers=alice.headers)
    full = await set_self(client, bob, code, team="b")
    assert (full.status_code, full.json()["code"]) == (403, "team_full")
    teams = {p["id"]: (p["team"], p["is_ready"]) for p in
             (await client.get(LOBBY, headers=bob.headers)).json()["participants"]}
    assert teams == {alice.id: ("a", False), bob.id: ("spectator", False), carol.id: ("b", False)}


async def test_a_full_clash_refuses_a_seventh(client: httpx.AsyncClient, node: Node) -> None:
    players = [await make_user(client, f"player{n}") for n in range(7)]
    lobby = await create_lobby(client, players[0], game_mode="clash")
    await joined(client, lobby["code"], *players[1:6])
    seventh = await join(client, players[6], lobby["code"])
    assert (seventh.status_code, seventh.json()["code"]) == (409, "lobby_full")
    assert (await client.get(LOBBY, headers=players[1].headers)).json()["is_full"] is True


async def test_bans_are_the_creators_and_stick(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol, dave = [await make_user(client, n) for n in ("alice", "bob", "carol", "dave")]
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    await joined(client, code, bob, carol)
    assert (await client.delete(f"{LOBBY}{code}/ban/{carol.id}/", headers=dave.headers)).status_code == 403
    not_creator = await client.delete(f"{LOBBY}{code}/ban/{carol.id}/", headers=bob.headers)
    assert (not_creator.status_code, not_creator.json()["code"]) == (403, "not_lobby_creator")
    assert (await client.delete(f"{LOBBY}{code}/ban/{dave.id}/", headers=alice.headers)).status_code == 404
    assert (await client.delete(f"{LOBBY}{code}/ban/{alice.id}/", headers=alice.headers)).status_code == 403
    async with node.services.bus.connect(bob.id) as bob_live, \
            node.services.bus.connect(carol.id) as carol_live:
        assert (await client.delete(f"{LOBBY}{code}/ban/{carol.id}/", headers=alice.headers)).status_code == 204
        assert await next_lobby_event(carol_live) == ("lobby-banned", {"code": code})
        assert await next_lobby_event(bob_live) == ("lobby-leave", {"id": carol.id, "username": "carol"})
    again = await join(client, carol, code)
    assert (again.status_code, again.json()["code"]) == (403, "lobby_banned")
    # Carol is free again: she may queue.
    assert (await client.post("/api/play/duel/", headers=carol.headers)).status_code == 201


async def test_invitations_to_a_lobby(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, n) for n in ("alice", "bob", "carol")]
    lobby = await create_lobby(client, alice, game_mode="custom_game", match_type="3v3")
    code = lobby["code"]
    await joined(client, code, bob)
    invite = f"{LOBBY}{code}/invite/"
    assert (await client.post(f"{invite}{alice.id}/", headers=alice.headers)).status_code == 403
    assert (await client.post(f"{invite}{carol.id}/", headers=bob.headers)).status_code == 403
    assert (await client.post(f"{LOBBY}nosuch/invite/{carol.id}/", headers=alice.headers)).status_code == 403
    assert (await client.post(f"{invite}999999/", headers=alice.headers)).status_code == 404
    assert (await client.post(f"{invite}{2**70}/", headers=alice.headers)).status_code == 404
    async with node.services.bus.connect(carol.id) as carol_live:
        assert (await client.post(f"{invite}{carol.id}/", headers=alice.headers)).status_code == 204
        assert await next_lobby_event(carol_live) == (
            "invite-3v3", {"id": lobby["id"], "code": code, "username": "alice"})


async def test_messages_reach_the_others_not_the_author(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob, carol = [await make_user(client, n) for n in ("alice", "bob", "carol")]
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    await joined(client, code, bob)
    message = f"{LOBBY}{code}/message/"
    assert (await client.post(message, json={"content": "  "}, headers=alice.headers)).status_code == 400
    assert (await client.post(message, json={}, headers=alice.headers)).status_code == 400
    assert (await client.post(message, json={"content": "hi"}, headers=carol.headers)).status_code == 403
    async with node.services.bus.connect(alice.id) as alice_live, \
            node.services.bus.connect(bob.id) as bob_live:
        sent = await client.post(message, json={"content": " gl hf "}, headers=alice.headers)
        assert sent.status_code == 201 and sent.json()["content"] == "gl hf"
        name, said = await next_lobby_event(bob_live)
        assert (name, said["id"], said["content"], said["username"]) == ("lobby-message", alice.id, "gl hf", "alice")
        node.services.bus.publish_to_user(alice.id, "lobby-marker", {})
        assert (await next_lobby_event(alice_live))[0] == "lobby-marker"


async def test_a_leaving_creator_hands_over_to_the_oldest_registered_member(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    guest = await make_guest(client)
    code = (await create_lobby(client, alice, game_mode="custom_game"))["code"]
    await joined(client, code, guest, bob)
    async with node.services.bus.connect(bob.id) as bob_live:
        assert (await client.delete(f"{LOBBY}{code}/", headers=alice.headers)).status_code == 204
        assert await next_lobby_event(bob_live) == ("lobby-leave", {"id": alice.id, "username": "alice"})
        assert await next_lobby_event(bob_live) == ("lobby-update-participant", {"id": bob.id, "creator": True})
    assert (await client.delete(f"{LOBBY}{code}/", headers=alice.headers)).status_code == 403
    creators = [p["id"] for p in (await client.get(LOBBY, headers=bob.headers)).json()["participants"] if p["creator"]]
    assert creators == [bob.id]
    async with node.services.bus.connect(guest.id) as guest_live:
        assert (await client.delete(f"{LOBBY}{code}/", headers=bob.headers)).status_code == 204
        assert (await next_event(guest_live, "lobby-destroy")) == {"code": code}
    assert (await client.get(LOBBY, headers=guest.headers)).status_code == 404
    assert (await join(client, alice, code)).status_code == 404


async def test_the_last_one_out_closes_the_lobby(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    code = (await create_lobby(client, alice, game_mode="clash"))["code"]
    assert (await client.delete(f"{LOBBY}{code}/", headers=alice.headers)).status_code == 204
    assert (await join(client, alice, code)).status_code == 404
    assert (await client.post("/api/play/duel/", headers=alice.headers)).status_code == 201


async def test_joining_and_getting_ready_is_heard_by_the_others(client: httpx.AsyncClient, node: Node) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    code = (await create_lobby(client, alice, game_mode="custom_game", match_type="3v3"))["code"]
    async with node.services.bus.connect(alice.id) as alice_live:
        joined_bob = await join(client, bob, code)
        assert joined_bob.status_code == 201
        assert set(joined_bob.json()) >= {"id", "username", "creator", "team", "join_at", "is_ready"}
        name, heard = await next_lobby_event(alice_live)
        assert (name, heard["id"], heard["username"], heard["team"]) == ("lobby-join", bob.id, "bob", "a")
        await ready(client, code, bob)
        assert await next_lobby_event(alice_live) == ("lobby-update-participant", {"id": bob.id, "is_ready": True})
