"""The chats repository on its own: numbering, retries, refusals, unread counts."""

from __future__ import annotations

import pytest

from courtside.persistence import Chats, Database, DialogueExists, Social, Users
from courtside.persistence.chats import Outcome


async def _people(database: Database, *names: str) -> list[int]:
    users = Users(database)
    return [(await users.create(username=name, nickname=name)).id for name in names]


async def _dialogue(database: Database, one: int, other: int) -> int:
    async with database.transaction() as tx:
        return await Chats(tx).create_dialogue(one, other)


async def test_messages_are_numbered_in_their_chat_and_a_client_id_stores_once(
    database: Database,
) -> None:
    alice, bob, carol = await _people(database, "alice", "bob", "carol")
    chats = Chats(database)
    with_bob = await _dialogue(database, alice, bob)
    with_carol = await _dialogue(database, carol, alice)
    first = await chats.store_message(with_bob, alice, partner_id=bob, client_id="1", content="a")
    other = await chats.store_message(with_carol, alice, partner_id=carol, client_id="1",
                                      content="b")
    retry = await chats.store_message(with_bob, alice, partner_id=bob, client_id="1",
                                      content="changed my mind")
    second = await chats.store_message(with_bob, bob, partner_id=alice, client_id="1",
                                       content="c")
    assert [s.outcome for s in (first, other, retry, second)] == [
        Outcome.STORED, Outcome.STORED, Outcome.DUPLICATE, Outcome.STORED,
    ]
    assert first.message is not None and retry.message is not None and second.message is not None
    assert retry.message.id == first.message.id
    assert retry.message.content == "a"
    assert (first.message.seq, second.message.seq) == (1, 2)
    assert other.message is not None and other.message.seq == 1
    # Sending counts as having read everything before: bob's reply read alice's message.
    seen_by_bob = await chats.chat(with_bob, bob)
    seen_by_alice = await chats.chat(with_bob, alice)
    assert seen_by_bob is not None and seen_by_alice is not None
    assert (seen_by_bob.unread, seen_by_alice.unread) == (0, 1)
    assert await chats.chats_with_unread(alice) == 1
    assert await chats.chats_with_unread(bob) == 0


async def test_a_block_either_way_refuses_dialogue_messages(database: Database) -> None:
    alice, bob = await _people(database, "alice", "bob")
    chats = Chats(database)
    chat_id = await _dialogue(database, alice, bob)
    await Social(database).block(bob, alice)
    for sender, partner in ((alice, bob), (bob, alice)):
        refused = await chats.store_message(chat_id, sender, partner_id=partner,
                                            client_id=f"{sender}", content="hi")
        assert (refused.outcome, refused.message) == (Outcome.REFUSED, None)
    room = await chats.room(chat_id)
    assert room is not None and room.message_count == 0


async def test_one_dialogue_per_pair_in_either_order(database: Database) -> None:
    alice, bob = await _people(database, "alice", "bob")
    await _dialogue(database, alice, bob)
    with pytest.raises(DialogueExists):
        await _dialogue(database, bob, alice)
