"""Profiles, settings, search and data export (DESIGN.md §5)."""

from __future__ import annotations

import httpx

from courtside.persistence import Database
from tests.accounts import DEFAULT_PASSWORD, make_guest, make_user
from tests.chat.conversation import chat_url, open_dialogue, open_group


async def test_profile_of_another_user(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice", nickname="Queen of Hearts")
    bob = await make_user(client, "bob")
    profile = (await client.get(f"/api/users/{alice.id}/", headers=bob.headers)).json()
    assert profile["id"] == alice.id
    assert profile["username"] == "alice"
    assert profile["nickname"] == "Queen of Hearts"
    assert profile["trophies"] == 1000
    assert profile["status"] == {"is_online": False, "game_playing": None, "last_online": None}
    assert set(profile["profile_picture"]) == {"small", "medium", "large"}
    assert {"is_friend", "friend_request", "is_blocked", "is_blocked_by", "chat_id"} <= set(profile)
    assert "email" not in profile

    missing = await client.get("/api/users/999999/", headers=bob.headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_profiles_name_the_dialogue_the_viewer_has_with_each_user(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    dave = await make_user(client, "dave")
    with_bob = await open_dialogue(client, alice, bob)
    with_dave = await open_dialogue(client, dave, alice)
    # Neither a group nor someone else's dialogue is alice's dialogue with carol.
    await open_group(client, alice, "team", [carol])
    await open_dialogue(client, bob, carol)
    hidden = await client.delete(chat_url(with_dave), headers=alice.headers)
    assert hidden.status_code == 204

    async def chat_id_of(viewer, user) -> int | None:
        response = await client.get(f"/api/users/{user.id}/", headers=viewer.headers)
        assert response.status_code == 200, response.text
        return response.json()["chat_id"]

    assert await chat_id_of(alice, bob) == await chat_id_of(bob, alice) == with_bob
    assert await chat_id_of(alice, dave) == with_dave  # hidden, yet still theirs
    assert await chat_id_of(alice, carol) is None
    assert await chat_id_of(bob, carol) is not None

    found = (await client.get("/api/users/?exclude_me=true", headers=alice.headers)).json()
    assert {user["username"]: user["chat_id"] for user in found["results"]} == {
        "bob": with_bob, "carol": None, "dave": with_dave,
    }


async def test_settings_update_and_their_rules(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    updated = await client.patch(
        "/api/users/me/",
        json={"nickname": "Al", "accept_friend_request": False, "accept_chat_from": "friends_only",
              "email": "al@example.org", "username": "alicia"},
        headers=alice.headers,
    )
    assert updated.status_code == 200
    me = updated.json()
    assert (me["nickname"], me["accept_friend_request"], me["accept_chat_from"]) == (
        "Al", False, "friends_only",
    )
    assert (me["email"], me["username"]) == ("al@example.org", "alicia")

    bad = await client.patch(
        "/api/users/me/", json={"accept_chat_from": "anyone", "nickname": ""}, headers=alice.headers
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"accept_chat_from", "nickname"}

    await make_user(client, "bob")
    taken = await client.patch("/api/users/me/", json={"username": "Bob"}, headers=alice.headers)
    assert taken.status_code == 400
    assert "username" in taken.json()["errors"]

    wrong_type = await client.patch("/api/users/me/", json={"accept_friend_request": "yes"}, headers=alice.headers)
    assert wrong_type.status_code == 400
    assert "accept_friend_request" in wrong_type.json()["errors"]


async def test_search_by_name_paginated_and_excluding_me(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    for name in ("al_1", "al_2", "al_3", "zed"):
        await make_user(client, name)
    first = (await client.get("/api/users/?q=al&limit=2", headers=alice.headers)).json()
    assert first["count"] == 4
    assert [user["username"] for user in first["results"]] == ["al_1", "al_2"]
    assert first["next"].endswith("q=al&limit=2&offset=2")

    others = (await client.get("/api/users/?q=al&exclude_me=true", headers=alice.headers)).json()
    assert [user["username"] for user in others["results"]] == ["al_1", "al_2", "al_3"]

    # LIKE wildcards in the query are literal characters.
    underscore = (await client.get("/api/users/?q=_", headers=alice.headers)).json()
    assert {user["username"] for user in underscore["results"]} == {"al_1", "al_2", "al_3"}

    nobody_online = (await client.get("/api/users/?online=true", headers=alice.headers)).json()
    assert nobody_online["count"] == 0


async def test_download_data_is_one_json_attachment(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice", email="alice@example.org")
    response = await client.get("/api/users/me/download-data/", headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        'attachment; filename="courtside-alice-data.json"'
    )
    export = response.json()
    assert export["user_data"]["email"] == "alice@example.org"
    assert len(export["sessions"]) == 1
    assert set(export) >= {"user_data", "profile_pictures_data", "friends_data", "stats_data",
                           "chat_data", "game_data"}


async def test_guest_may_delete_itself_without_a_password(client: httpx.AsyncClient) -> None:
    guest = await make_guest(client)
    assert (await client.request("DELETE", "/api/users/me/", headers=guest.headers)).status_code == 204


async def test_bio_is_trimmed_shown_on_profiles_and_bounded(
    client: httpx.AsyncClient, database: Database
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    fresh = (await client.get("/api/users/me/", headers=alice.headers)).json()
    assert fresh["bio"] == ""

    bio = "Left-handed. " + "é" * 260  # 273 characters, more bytes than that
    updated = await client.patch("/api/users/me/", json={"bio": f"  {bio}\n"}, headers=alice.headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["bio"] == bio
    assert (await client.get("/api/users/me/", headers=alice.headers)).json()["bio"] == bio
    assert (await client.get(f"/api/users/{alice.id}/", headers=bob.headers)).json()["bio"] == bio
    found = (await client.get("/api/users/?q=alice", headers=bob.headers)).json()
    assert [user["bio"] for user in found["results"]] == [bio]

    for refused in ("x" * 281, "ping\x00pong", 42):
        response = await client.patch("/api/users/me/", json={"bio": refused}, headers=alice.headers)
        assert response.status_code == 400, refused
        assert list(response.json()["errors"]) == ["bio"]
    assert (await client.get("/api/users/me/", headers=alice.headers)).json()["bio"] == bio

    cleared = await client.patch("/api/users/me/", json={"bio": "   "}, headers=alice.headers)
    assert cleared.json()["bio"] == ""

    # A deleted account keeps no bio: it is personal data.
    await client.patch("/api/users/me/", json={"bio": "gone soon"}, headers=bob.headers)
    deleted = await client.request("DELETE", "/api/users/me/", json={"password": DEFAULT_PASSWORD},
                                   headers=bob.headers)
    assert deleted.status_code == 204
    assert await database.fetchval("SELECT bio FROM users WHERE id = %s", bob.id) == ""
