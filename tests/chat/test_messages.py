"""Messages over REST: content rules, history pages, tombstones, retries, blocks, reads."""

from __future__ import annotations

import httpx

from courtside.actors import MAX_CONTENT_LENGTH
from courtside.actors.chat_room import SEND_BURST
from courtside.protocol.user_messages import MAX_CLIENT_ID_LENGTH
from courtside.server.node import Node
from tests.accounts import make_user

from .conversation import block, chat_url, messages, open_dialogue, post, say, unread_chats


async def test_content_is_trimmed_and_must_hold_1_to_2000_characters(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    assert (await say(client, alice, chat_id, "  hello \n"))["content"] == "hello"
    longest = "x" * MAX_CONTENT_LENGTH
    assert (await say(client, alice, chat_id, f" {longest} "))["content"] == longest
    for content in ("", "   \n\t", "x" * (MAX_CONTENT_LENGTH + 1)):
        refused = await post(client, alice, chat_id, content)
        assert refused.status_code == 400, content
        assert list(refused.json()["errors"]) == ["content"]
    for body in ({}, {"content": 5}, {"content": None}, {"content": "hi", "client_id": ""},
                 {"content": "hi", "client_id": "x" * (MAX_CLIENT_ID_LENGTH + 1)}):
        response = await client.post(chat_url(chat_id, "messages/"), json=body,
                                     headers=alice.headers)
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid"
    assert len(await messages(client, bob, chat_id)) == 2


async def test_history_is_newest_first_and_pages_back_from_a_message(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    sent = [await say(client, alice if n % 2 else bob, chat_id, f"m{n}") for n in range(7)]
    page = await client.get(chat_url(chat_id, "messages/?limit=3"), headers=alice.headers)
    body = page.json()
    assert body["count"] == 7
    assert [m["content"] for m in body["results"]] == ["m6", "m5", "m4"]
    assert body["next"].endswith("limit=3&offset=3")
    older = await messages(client, alice, chat_id, f"?before={sent[4]['id']}&limit=3")
    assert [m["content"] for m in older] == ["m3", "m2", "m1"]
    # New messages do not move a page anchored on a message.
    await say(client, bob, chat_id, "m7")
    anchored = f"messages/?before={sent[4]['id']}&limit=3&offset=3"
    again = await client.get(chat_url(chat_id, anchored), headers=alice.headers)
    assert (again.json()["count"], [m["content"] for m in again.json()["results"]]) == (4, ["m0"])
    for before in ("x", "0", "-3"):
        bad = await client.get(chat_url(chat_id, f"messages/?before={before}"),
                               headers=alice.headers)
        assert (bad.status_code, list(bad.json()["errors"])) == (400, ["before"])


async def test_is_read_tells_the_author_the_other_side_read_it(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    first = await say(client, alice, chat_id, "one")
    await say(client, alice, chat_id, "two")
    assert first["is_read"] is False
    read = await client.post(chat_url(chat_id, "read/"), json={"seen_messages": 1},
                             headers=bob.headers)
    assert read.json() == {"chat_id": chat_id, "amount_unseen": 1, "amount_total": 2}
    assert [m["is_read"] for m in await messages(client, alice, chat_id)] == [False, True]
    everything = await client.post(chat_url(chat_id, "read/"), headers=bob.headers)
    assert everything.json() == {"chat_id": chat_id, "amount_unseen": 0, "amount_total": 2}
    # A read never goes back, and cannot claim more than there is.
    back = await client.post(chat_url(chat_id, "read/"), json={"seen_messages": 0},
                             headers=bob.headers)
    assert back.json()["amount_unseen"] == 0
    bad = await client.post(chat_url(chat_id, "read/"), json={"seen_messages": -1},
                            headers=bob.headers)
    assert bad.status_code == 400


async def test_deleting_a_message_leaves_a_tombstone(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    kept = await say(client, alice, chat_id, "keep me")
    gone = await say(client, alice, chat_id, "oops")
    path = chat_url(chat_id, f"messages/{gone['id']}/")
    not_yours = await client.delete(path, headers=bob.headers)
    assert (not_yours.status_code, not_yours.json()["code"]) == (403, "not_message_author")
    assert (await client.delete(path, headers=alice.headers)).status_code == 204
    assert (await client.delete(path, headers=alice.headers)).status_code == 204
    unknown = await client.delete(chat_url(chat_id, f"messages/{gone['id'] + 99}/"),
                                  headers=alice.headers)
    assert unknown.status_code == 404
    tombstone, first = await messages(client, bob, chat_id)
    assert (tombstone["id"], tombstone["content"], tombstone["is_deleted"]) == (
        gone["id"], "", True,
    )
    assert (first["id"], first["content"], first["is_deleted"]) == (kept["id"], "keep me", False)
    # The tombstone keeps its number: counts do not shift under the reader.
    read = await client.post(chat_url(chat_id, "read/"), headers=bob.headers)
    assert read.json()["amount_total"] == 2


async def test_retrying_a_client_id_never_stores_a_second_message(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    first = await post(client, alice, chat_id, "once", client_id="c-1")
    retry = await post(client, alice, chat_id, "once", client_id="c-1")
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json()["id"] == first.json()["id"]
    # The id is the sender's: the other side may use the same one for its own message.
    bobs = await post(client, bob, chat_id, "mine", client_id="c-1")
    assert bobs.status_code == 201
    assert [m["content"] for m in await messages(client, alice, chat_id)] == ["mine", "once"]


async def test_a_block_stops_messages_both_ways_in_an_existing_dialogue(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    await say(client, bob, chat_id, "before")
    await block(node, alice, bob)
    for sender in (alice, bob):
        refused = await post(client, sender, chat_id, "after")
        assert (refused.status_code, refused.json()["code"]) == (403, "user_blocked")
    assert [m["content"] for m in await messages(client, alice, chat_id)] == ["before"]


async def test_a_member_sending_too_fast_is_slowed_down(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    accepted = 0
    while (response := await post(client, alice, chat_id, f"n{accepted}")).status_code == 201:
        accepted += 1
        assert accepted < SEND_BURST + 10, "never slowed down"
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response.headers["Retry-After"]) >= 1
    # The burst, and what refilled while it was spent.
    assert accepted >= SEND_BURST


async def test_me_counts_the_chats_with_unread_messages(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    carol = await make_user(client, "carol")
    with_bob = await open_dialogue(client, alice, bob)
    with_carol = await open_dialogue(client, carol, alice)
    assert await unread_chats(client, alice) == 0
    await say(client, bob, with_bob, "one")
    await say(client, bob, with_bob, "two")
    await say(client, carol, with_carol, "three")
    assert await unread_chats(client, alice) == 2
    assert await unread_chats(client, bob) == 0  # one's own messages are seen
    await client.post(chat_url(with_bob, "read/"), headers=alice.headers)
    assert await unread_chats(client, alice) == 1
    # Answering reads the chat too.
    await say(client, alice, with_carol, "hi carol")
    assert await unread_chats(client, alice) == 0
    assert await unread_chats(client, carol) == 1
