"""Group chats: a name, an admin, up to MAX_GROUP_MEMBERS members; invite, remove, leave, delete."""

from __future__ import annotations

import httpx

from courtside.actors import MAX_GROUP_MEMBERS
from courtside.http.chat.rules import MAX_GROUP_NAME_LENGTH
from courtside.persistence import Users
from courtside.server.node import Node
from tests.accounts import make_guest, make_user

from .conversation import (
    CHATS,
    accept_chats_from,
    block,
    chat_list,
    chat_url,
    messages,
    open_group,
    post,
    say,
)


async def _silent_people(node: Node, count: int) -> list[int]:
    """Registered users who never log in: only their ids matter to the group."""
    users = Users(node.database)
    return [(await users.create(username=f"user{n}", nickname=f"User {n}")).id
            for n in range(count)]


def _member_path(chat_id: int, user_id: int) -> str:
    return chat_url(chat_id, f"members/{user_id}/")


async def test_a_group_has_a_name_an_admin_and_its_members(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    response = await client.post(
        CHATS, json={"name": "  Pong night ", "members": [bob.id, carol.id, bob.id, alice.id]},
        headers=alice.headers,
    )
    assert response.status_code == 201, response.text
    group = response.json()
    assert (group["type"], group["name"], group["chat_with"]) == ("group", "Pong night", None)
    assert (group["admin_id"], group["members_count"]) == (alice.id, 3)
    assert {m["id"] for m in group["members"]} == {alice.id, bob.id, carol.id}
    [seen_by_carol] = await chat_list(client, carol, "?q=night")
    assert seen_by_carol["id"] == group["id"]
    await say(client, carol, group["id"], "hi all")
    assert [m["content"] for m in await messages(client, bob, group["id"])] == ["hi all"]


async def test_a_group_needs_a_name_and_members_who_accept_the_admin(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    guest = await make_guest(client)
    too_long = "x" * (MAX_GROUP_NAME_LENGTH + 1)
    for body in ({"name": " ", "members": []}, {"name": too_long, "members": []}):
        response = await client.post(CHATS, json=body, headers=alice.headers)
        assert (response.status_code, list(response.json()["errors"])) == (400, ["name"])
    neither = await client.post(CHATS, json={"members": [bob.id]}, headers=alice.headers)
    assert neither.status_code == 400
    both = await client.post(CHATS, json={"username": "bob", "name": "x"}, headers=alice.headers)
    assert both.status_code == 400
    await accept_chats_from(client, carol, "none")
    refused = await client.post(
        CHATS, json={"name": "x", "members": [bob.id, carol.id, guest.id, 999_999]},
        headers=alice.headers,
    )
    assert refused.status_code == 400
    assert [line.split(":")[0] for line in refused.json()["errors"]["members"]] == [
        f"User {user_id}" for user_id in sorted((carol.id, guest.id, 999_999))
    ]
    by_guest = await client.post(CHATS, json={"name": "x", "members": []}, headers=guest.headers)
    assert (by_guest.status_code, by_guest.json()["code"]) == (403, "guest_account")
    assert await chat_list(client, bob) == []


async def test_a_group_holds_at_most_max_members(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    others = await _silent_people(node, MAX_GROUP_MEMBERS)
    too_many = await client.post(CHATS, json={"name": "crowd", "members": others},
                                 headers=alice.headers)
    assert (too_many.status_code, list(too_many.json()["errors"])) == (400, ["members"])
    group_id = await open_group(client, alice, "crowd", [])
    full = others[:MAX_GROUP_MEMBERS - 1]
    response = await client.post(CHATS, json={"name": "full", "members": full},
                                 headers=alice.headers)
    assert response.json()["members_count"] == MAX_GROUP_MEMBERS
    one_more = await client.post(_member_path(response.json()["id"], bob.id),
                                 headers=alice.headers)
    assert (one_more.status_code, one_more.json()["code"]) == (403, "chat_full")
    assert (await client.post(_member_path(group_id, bob.id),
                              headers=alice.headers)).status_code == 201


async def test_the_admin_invites_and_removes_members(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    dave = await make_user(client, "dave")
    group_id = await open_group(client, alice, "club", [bob])
    await say(client, bob, group_id, "before carol")

    by_member = await client.post(_member_path(group_id, carol.id), headers=bob.headers)
    assert (by_member.status_code, by_member.json()["code"]) == (403, "not_chat_admin")
    invited = await client.post(_member_path(group_id, carol.id), headers=alice.headers)
    assert (invited.status_code, invited.json()["id"]) == (201, carol.id)
    again = await client.post(_member_path(group_id, carol.id), headers=alice.headers)
    assert again.status_code == 200
    # A newcomer reads the history but has nothing unread.
    [group] = await chat_list(client, carol)
    assert (group["unread_messages"], group["last_message"]["content"]) == (0, "before carol")

    await block(node, dave, alice)
    hidden = await client.post(_member_path(group_id, dave.id), headers=alice.headers)
    assert hidden.status_code == 404
    await block(node, alice, bob)
    blocked = await client.post(_member_path(group_id, bob.id), headers=alice.headers)
    assert (blocked.status_code, blocked.json()["code"]) == (403, "user_blocked")

    assert (await client.delete(_member_path(group_id, carol.id),
                                headers=bob.headers)).status_code == 403
    assert (await client.delete(_member_path(group_id, carol.id),
                                headers=alice.headers)).status_code == 204
    gone = await client.delete(_member_path(group_id, carol.id), headers=alice.headers)
    assert gone.status_code == 404
    assert (await post(client, carol, group_id, "let me in")).status_code == 403
    outsider = await client.post(_member_path(group_id, dave.id), headers=carol.headers)
    assert (outsider.status_code, outsider.json()["code"]) == (403, "not_chat_member")


async def test_members_leave_and_the_admin_deletes_the_group(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    group_id = await open_group(client, alice, "club", [bob, carol])
    await say(client, alice, group_id, "welcome")

    stays = await client.delete(_member_path(group_id, alice.id), headers=alice.headers)
    assert (stays.status_code, stays.json()["code"]) == (403, "admin_cannot_leave")
    assert (await client.delete(chat_url(group_id), headers=bob.headers)).status_code == 204
    assert await chat_list(client, bob) == []
    assert (await client.get(chat_url(group_id), headers=bob.headers)).status_code == 403
    [group] = await chat_list(client, carol)
    assert group["members_count"] == 2

    assert (await client.delete(chat_url(group_id), headers=alice.headers)).status_code == 204
    for member in (alice, carol):
        assert await chat_list(client, member) == []
        assert (await post(client, member, group_id, "anyone?")).status_code == 403


async def test_a_dialogue_takes_no_members(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    await make_user(client, "bob")
    carol = await make_user(client, "carol")
    response = await client.post(CHATS, json={"username": "bob"}, headers=alice.headers)
    chat_id = response.json()["id"]
    added = await client.post(_member_path(chat_id, carol.id), headers=alice.headers)
    assert added.status_code == 403
    left = await client.delete(_member_path(chat_id, alice.id), headers=alice.headers)
    assert (left.status_code, left.json()["code"]) == (403, "not_a_group")
