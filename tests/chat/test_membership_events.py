"""Group membership over real sockets: who is added, removed or leaves, and the end of a group.

Every member hears each change once it is stored; someone removed hears that
they were, then nothing more of the group.
"""

from __future__ import annotations

import httpx
import trio

from courtside.server.node import Node
from tests.accounts import make_user
from tests.live.conftest import user_socket

from .conversation import chat_url, open_group, say
from .live import ChatClient

WAIT = 10.0


async def test_members_hear_who_joins_and_goes_and_the_removed_hear_no_more(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    group = await open_group(client, alice, "club", [bob])
    with trio.fail_after(WAIT):
        async with user_socket(node, alice) as alices, user_socket(node, bob) as bobs, \
                user_socket(node, carol) as carols:
            chats = {person.id: ChatClient(socket) for person, socket in
                     ((alice, alices), (bob, bobs), (carol, carols))}

            async def heard(person, events: list[tuple[str, dict]]) -> None:
                got = await chats[person.id].everything_until_now(node, person)
                assert [(e.name, e.data) for e in got] == events

            added = await client.post(chat_url(group, f"members/{carol.id}/"),
                                      headers=alice.headers)
            assert added.status_code == 201, added.text
            carol_in = ("chat-member-add",
                        {"chat_id": group, "user_id": carol.id, "by_id": alice.id})
            for person in (alice, bob, carol):
                await heard(person, [carol_in])

            removed = await client.delete(chat_url(group, f"members/{bob.id}/"),
                                          headers=alice.headers)
            assert removed.status_code == 204, removed.text
            bob_out = ("chat-member-remove",
                       {"chat_id": group, "user_id": bob.id, "by_id": alice.id})
            for person in (alice, bob, carol):
                await heard(person, [bob_out])

            # The room's member list is what it fans out to: bob is no longer on it.
            message = await say(client, carol, group, "bob is gone")
            for person in (alice, carol):
                got = await chats[person.id].everything_until_now(node, person)
                assert [e.data["id"] for e in got if e.name == "receive-message"] == [
                    message["id"]
                ]
            await heard(bob, [])
            refused = await chats[bob.id].send(group, "let me back", "bob-1")
            assert refused["type"] == "message_refused"

            left = await client.delete(chat_url(group), headers=carol.headers)
            assert left.status_code == 204, left.text
            carol_left = ("chat-member-remove",
                          {"chat_id": group, "user_id": carol.id, "by_id": carol.id})
            for person in (alice, carol):
                await heard(person, [carol_left])
            await heard(bob, [])

            deleted = await client.delete(chat_url(group), headers=alice.headers)
            assert deleted.status_code == 204, deleted.text
            await heard(alice, [("chat-delete", {"chat_id": group, "by_id": alice.id})])
            for person in (bob, carol):
                await heard(person, [])
