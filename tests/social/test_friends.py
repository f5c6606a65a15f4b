"""The friends list: online first, then by name, with head-to-head records; unfriending."""

from __future__ import annotations

from typing import Any

import httpx

from courtside.persistence import Database
from courtside.server.node import Node
from tests.accounts import make_user

from .graph import FRIENDS, ask, befriend, block, listed, online, profile
from .records import recorded_match


async def test_friends_online_come_first_then_by_name(
    client: httpx.AsyncClient, node: Node
) -> None:
    me = await make_user(client, "myself")
    names = ("dora", "Bert", "carl", "abby", "eddy")
    friends = {name: await make_user(client, name) for name in names}
    for friend in friends.values():
        await befriend(client, me, friend)

    async with online(node, friends["eddy"]), online(node, friends["carl"]):
        rows = await listed(client, FRIENDS, me)
        assert [row["friend"]["username"] for row in rows] == ["carl", "eddy", "abby", "Bert", "dora"]
        assert [row["friend"]["status"]["is_online"] for row in rows] == [True, True, False, False, False]

        page = (await client.get(f"{FRIENDS}?limit=2&offset=2", headers=me.headers)).json()
        assert page["count"] == 5
        assert [row["friend"]["username"] for row in page["results"]] == ["abby", "Bert"]
        assert page["previous"].endswith("limit=2&offset=0")
        assert page["next"].endswith("limit=2&offset=4")

    rows = await listed(client, FRIENDS, me)
    assert [row["friend"]["username"] for row in rows] == ["abby", "Bert", "carl", "dora", "eddy"]


async def test_each_friend_carries_the_head_to_head_record(
    client: httpx.AsyncClient, database: Database
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    others = [await make_user(client, name) for name in ("cid", "dee", "eli", "fox")]
    cid, dee, eli, fox = (other.id for other in others)
    await recorded_match(database, [alice.id], [bob.id], "a")
    await recorded_match(database, [alice.id], [bob.id], "a")
    await recorded_match(database, [bob.id], [alice.id], "a")
    await recorded_match(database, [alice.id], [bob.id], None)
    await recorded_match(database, [alice.id, bob.id, cid], [dee, eli, fox], "b")
    friendship_id = await befriend(client, alice, bob)

    (for_alice,) = await listed(client, FRIENDS, alice)
    assert for_alice["id"] == friendship_id
    assert (for_alice["me_wins"], for_alice["friend_wins"]) == (2, 1)
    assert (for_alice["matches_played_against"], for_alice["matches_played_together"]) == (3, 1)
    assert for_alice["matches_won_together"] == 0
    assert for_alice["friends_since"].endswith("Z")
    (for_bob,) = await listed(client, FRIENDS, bob)
    assert (for_bob["me_wins"], for_bob["friend_wins"]) == (1, 2)


async def test_either_friend_ends_the_friendship(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    friendship_id = await befriend(client, alice, bob)
    url = f"{FRIENDS}{friendship_id}/"

    assert (await client.delete(url, headers=carol.headers)).status_code == 404
    assert (await client.delete(url, headers=bob.headers)).status_code == 204
    assert (await client.delete(url, headers=alice.headers)).status_code == 404
    assert await listed(client, FRIENDS, alice) == await listed(client, FRIENDS, bob) == []
    assert (await profile(client, alice, bob.id)).json()["is_friend"] is False


async def test_the_data_download_holds_the_whole_social_graph(client: httpx.AsyncClient) -> None:
    alice, bob, carol, dave, eve = [
        await make_user(client, name) for name in ("alice", "bob", "carol", "dave", "eve")
    ]
    friendship_id = await befriend(client, alice, bob)
    sent = (await ask(client, alice, "carol")).json()["id"]
    received = (await ask(client, dave, "alice")).json()["id"]
    block_id = (await block(client, alice, eve.id)).json()["id"]

    export = (await client.get("/api/users/me/download-data/", headers=alice.headers)).json()
    social = export["friends_data"]
    assert [f["id"] for f in social["friends"]] == [friendship_id]
    assert [r["id"] for r in social["friend_requests_sent"]] == [sent]
    assert [r["id"] for r in social["friend_requests_received"]] == [received]
    assert [b["id"] for b in social["blocked_users"]] == [block_id]


async def test_a_friendship_answers_at_the_id_of_its_request(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    request_id = (await ask(client, alice, "bob")).json()["id"]
    accepted = await client.post(f"/api/users/me/friend_requests/{request_id}/", headers=bob.headers)
    assert (accepted.status_code, accepted.json()["id"]) == (201, request_id)
    url = f"{FRIENDS}{request_id}/"

    seen_by_alice = await client.get(url, headers=alice.headers)
    assert seen_by_alice.status_code == 200
    assert seen_by_alice.json() == (await listed(client, FRIENDS, alice))[0]
    assert seen_by_alice.json()["friend"]["username"] == "bob"
    assert (await client.get(url, headers=bob.headers)).json()["friend"]["username"] == "alice"
    assert (await client.get(url, headers=carol.headers)).status_code == 404
    assert (await client.delete(url, headers=alice.headers)).status_code == 204
    gone = await client.get(url, headers=bob.headers)
    assert (gone.status_code, gone.json()["code"]) == (404, "not_found")


async def test_friends_filtered_by_presence(client: httpx.AsyncClient, node: Node) -> None:
    me = await make_user(client, "myself")
    friends = {name: await make_user(client, name) for name in ("abby", "carl", "dora", "eddy")}
    for friend in friends.values():
        await befriend(client, me, friend)

    async with online(node, friends["eddy"]), online(node, friends["carl"]):
        present = (await client.get(f"{FRIENDS}?online=true", headers=me.headers)).json()
        assert present["count"] == 2
        assert [row["friend"]["username"] for row in present["results"]] == ["carl", "eddy"]
        away = (await client.get(f"{FRIENDS}?online=false&limit=1", headers=me.headers)).json()
        assert away["count"] == 2
        assert [row["friend"]["username"] for row in away["results"]] == ["abby"]
        assert away["next"].endswith("online=false&limit=1&offset=1")
        everyone = (await client.get(FRIENDS, headers=me.headers)).json()
        assert everyone["count"] == 4

    for query, field in (("online=maybe", "online"), ("online=true&limit=many", "limit")):
        bad = await client.get(f"{FRIENDS}?{query}", headers=me.headers)
        assert (bad.status_code, bad.json()["code"]) == (400, "invalid"), query
        assert list(bad.json()["errors"]) == [field], query


async def test_the_openapi_document_describes_friends(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths, components = document["paths"], document["components"]["schemas"]

    def response_schema(path: str) -> dict[str, Any]:
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    assert response_schema("/api/users/me/friends/{friendship_id}/") == {
        "$ref": "#/components/schemas/FriendInstance"}
    assert response_schema(FRIENDS) == {"$ref": "#/components/schemas/FriendInstancePage"}
    assert components["FriendInstancePage"]["properties"]["results"]["items"] == {
        "$ref": "#/components/schemas/FriendInstance"}
    assert "friends_since" in components["FriendInstance"]["properties"]
    assert "last_online" in components["UserStatus"]["properties"]
    assert "online" in [parameter["name"] for parameter in paths[FRIENDS]["get"]["parameters"]]
