"""Chat over real sockets: two and three people, /ws/ and SSE, acks, reads, typing."""

from __future__ import annotations

import httpx
import trio

from courtside.actors.chat_room import SEND_BURST
from courtside.server.node import Node
from tests.accounts import make_user
from tests.live.conftest import sse, user_socket

from .conversation import block, chat_url, messages, open_dialogue, open_group, say
from .live import ChatClient


async def test_two_people_chat_with_acks_unread_counts_and_read_receipts(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    async with user_socket(node, alice) as alices, user_socket(node, bob) as bobs:
        alice_chat, bob_chat = ChatClient(alices), ChatClient(bobs)
        acks = [await alice_chat.send(chat_id, f"  hello {n} ", f"a-{n}") for n in range(3)]
        assert [ack["type"] for ack in acks] == ["message_sent"] * 3
        stored = [ack["message"] for ack in acks]
        assert [m["content"] for m in stored] == ["hello 0", "hello 1", "hello 2"]
        assert [m["id"] for m in reversed(await messages(client, bob, chat_id))] == [
            m["id"] for m in stored
        ]

        # Unread counts come at once for the first message, then the latest at the
        # end of the burst (chat_room.UNREAD_EVERY): read until the count says 3.
        heard = [await bob_chat.event()]
        while not (heard[-1].name == "unread_messages" and heard[-1].data["amount_unseen"] == 3):
            heard.append(await bob_chat.event())
        received = [e.data for e in heard if e.name == "receive-message"]
        assert [m["id"] for m in received] == [m["id"] for m in stored]
        first = received[0]
        assert (first["username"], first["message"], first["chat_id"]) == (
            "alice", "hello 0", chat_id,
        )
        assert first["author"]["id"] == alice.id
        counts = [e.data for e in heard if e.name == "unread_messages"]
        assert counts[0] == {"chat_id": chat_id, "amount_unseen": 1, "amount_total": 1}
        assert counts[-1] == {"chat_id": chat_id, "amount_unseen": 3, "amount_total": 3}
        assert [c["amount_unseen"] for c in counts] == sorted({c["amount_unseen"] for c in counts})
        # The sender's own channels hear the message too (other tabs), once each.
        assert [e.data["id"] for e in await alice_chat.events(3)] == [m["id"] for m in stored]

        await bobs.send("messages_checked", chat_id=chat_id, seen_messages=3)
        assert (await bob_chat.event()).data == {
            "chat_id": chat_id, "amount_unseen": 0, "amount_total": 3,
        }
        receipt = await alice_chat.event()
        assert (receipt.name, receipt.data) == (
            "messages_read", {"chat_id": chat_id, "user_id": bob.id, "seen_messages": 3},
        )
        assert await alice_chat.heard_nothing_else(node, alice)
        assert await bob_chat.heard_nothing_else(node, bob)
    assert [m["is_read"] for m in await messages(client, alice, chat_id)] == [True] * 3


async def test_three_members_hear_every_message_once_in_the_stored_order(
    client: httpx.AsyncClient, node: Node
) -> None:
    people = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    chat_id = await open_group(client, people[0], "trio", people[1:])
    per_sender = 5
    async with user_socket(node, people[0]) as one, user_socket(node, people[1]) as two, \
            user_socket(node, people[2]) as three:
        chats = [ChatClient(socket) for socket in (one, two, three)]

        async def talk(index: int) -> None:
            for n in range(per_sender):
                ack = await chats[index].send(chat_id, f"{index}:{n}", f"{index}-{n}")
                assert ack["type"] == "message_sent", ack

        async with trio.open_nursery() as nursery:
            for index in range(3):
                nursery.start_soon(talk, index)

        history = await messages(client, people[0], chat_id, "?limit=100")
        stored = [m["id"] for m in reversed(history)]
        assert len(stored) == 3 * per_sender
        for person, chat in zip(people, chats, strict=True):
            heard = await chat.everything_until_now(node, person)
            assert {event.name for event in heard} <= {"receive-message", "unread_messages"}
            received = [event.data for event in heard if event.name == "receive-message"]
            assert [m["id"] for m in received] == stored
            for sender in range(3):
                mine = [m["content"] for m in received if m["content"].startswith(f"{sender}:")]
                assert mine == [f"{sender}:{n}" for n in range(per_sender)]


async def test_a_hidden_dialogue_reappears_live_and_the_hider_is_told(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    assert (await client.delete(chat_url(chat_id), headers=alice.headers)).status_code == 204
    async with user_socket(node, alice) as alices:
        alice_chat = ChatClient(alices)
        await say(client, bob, chat_id, "hello again")
        arrived = await alice_chat.event()
        assert (arrived.name, arrived.data["message"]) == ("receive-message", "hello again")
    [shown] = (await client.get("/api/chat/", headers=alice.headers)).json()["results"]
    assert (shown["id"], shown["view_chat"]) == (chat_id, True)


async def test_sse_members_get_the_reference_payload(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    async with sse(client, bob) as stream:
        message = await say(client, alice, chat_id, "over sse")
        received = await stream.next()
        assert received.name == "receive-message"
        # SSE merges the kwargs into the MessageInstance (DESIGN.md §12).
        assert received.data == {**message, "username": "alice", "message": "over sse",
                                 "chat_id": chat_id}
        unread = await stream.next()
        assert (unread.name, unread.data["amount_unseen"]) == ("unread_messages", 1)


async def test_a_retried_client_id_is_acked_with_the_stored_message_and_sent_once(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    async with user_socket(node, alice) as alices, user_socket(node, bob) as bobs:
        alice_chat, bob_chat = ChatClient(alices), ChatClient(bobs)
        first = await alice_chat.send(chat_id, "only once", "retry-me")
        again = await alice_chat.send(chat_id, "only once", "retry-me")
        assert again == first
        assert [e.name for e in await bob_chat.events(2)] == ["receive-message", "unread_messages"]
        assert await bob_chat.heard_nothing_else(node, bob)
    assert len(await messages(client, bob, chat_id)) == 1


async def test_refusals_come_back_on_the_socket(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    eve = await make_user(client, "eve")
    chat_id = await open_dialogue(client, alice, bob)
    await block(node, bob, alice)
    async with user_socket(node, alice) as alices, user_socket(node, bob) as bobs:
        alice_chat, bob_chat = ChatClient(alices), ChatClient(bobs)
        refused = await alice_chat.send(chat_id, "let me talk", "b-1")
        assert (refused["type"], refused["code"]) == ("message_refused", "user_blocked")
        blank = await alice_chat.send(chat_id, "   ", "b-2")
        assert (blank["type"], blank["code"]) == ("message_refused", "invalid")
        elsewhere = await alice_chat.send(chat_id + 1000, "hello?", "b-3")
        assert (elsewhere["type"], elsewhere["code"]) == ("message_refused", "not_chat_member")
        assert await bob_chat.heard_nothing_else(node, bob)
    async with user_socket(node, eve) as eves:
        eve_chat = ChatClient(eves)
        await eves.send("messages_checked", chat_id=chat_id, seen_messages=1)
        assert (await eve_chat.error())["code"] == "not_chat_member"
        await eves.send("typing", chat_id=chat_id + 1000)
        assert (await eve_chat.error())["code"] == "not_chat_member"
    assert await messages(client, bob, chat_id) == []


async def test_typing_reaches_the_others_once_per_interval(
    client: httpx.AsyncClient, node: Node
) -> None:
    people = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    chat_id = await open_group(client, people[0], "trio", people[1:])
    async with user_socket(node, people[0]) as one, user_socket(node, people[1]) as two, \
            user_socket(node, people[2]) as three:
        alice_chat, bob_chat, carol_chat = (ChatClient(s) for s in (one, two, three))
        for _ in range(3):
            await one.send("typing", chat_id=chat_id)
        for other in (bob_chat, carol_chat):
            typing = await other.event()
            assert (typing.name, typing.data) == ("typing", {"chat_id": chat_id,
                                                             "user_id": people[0].id})
        # The room answers in order: once a send is acked, the typing before it is done.
        await bob_chat.send(chat_id, "typed", "t-1")
        for person, chat in ((people[0], alice_chat), (people[2], carol_chat)):
            heard = await chat.everything_until_now(node, person)
            assert [event.name for event in heard] == ["receive-message", "unread_messages"]


async def test_deleting_a_message_tells_every_member(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    message = await say(client, alice, chat_id, "regrets")
    async with user_socket(node, bob) as bobs:
        bob_chat = ChatClient(bobs)
        deleted = await client.delete(chat_url(chat_id, f"messages/{message['id']}/"),
                                      headers=alice.headers)
        assert deleted.status_code == 204
        event = await bob_chat.event()
        assert (event.name, event.data) == ("delete-message", {"chat_id": chat_id,
                                                               "message_id": message["id"]})


async def test_a_member_sending_too_fast_over_the_socket_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    async with user_socket(node, alice) as socket:
        chat = ChatClient(socket)
        answers = [await chat.send(chat_id, f"n{n}", f"c-{n}") for n in range(SEND_BURST + 10)]
    kinds = [answer["type"] for answer in answers]
    accepted = kinds.index("message_refused")
    assert accepted >= SEND_BURST  # the burst, and what refilled while it was spent
    refused = answers[accepted]
    assert (refused["client_id"], refused["code"]) == (f"c-{accepted}", "throttled")
    stored = [answer["message"]["id"] for answer in answers if answer["type"] == "message_sent"]
    assert [m["id"] for m in reversed(await messages(client, bob, chat_id, "?limit=100"))] == stored
