"""Group commit: posts queued back to back in a room are stored in one write.

To have a batch for certain, the room is kept busy with a read whose row this test
holds locked (a real lock in the real database): the posts sent meanwhile queue in
its inbox in the order sent, and the room takes them together once the lock goes.
They are sent to the room's handle, as ChatRooms does less its retry on ActorGone,
so that each poster sees the room's own answer.
"""

from __future__ import annotations

from collections.abc import Sequence

import outcome
import pytest
import trio

from courtside.actors import Connection
from courtside.actors.chat_messages import Post, Posted
from courtside.actors.chat_room import room_name
from courtside.persistence import Chats, Database, DataRefused, Social, Users
from courtside.persistence.chats import TEXT
from courtside.protocol import Forbidden

from .test_chat_room import Rooms, chat_rooms

# A post to send: sender, client_id, content, and its kind.
Say = tuple[int, str, str, str]


def say(sender_id: int, client_id: str, content: str, kind: str = TEXT) -> Say:
    return sender_id, client_id, content, kind


async def _people(database: Database, *names: str) -> list[int]:
    users = Users(database)
    return [(await users.create(username=name, nickname=name)).id for name in names]


async def _group(database: Database, admin_id: int, member_ids: list[int]) -> int:
    async with database.transaction() as tx:
        return await Chats(tx).create_group("batch", admin_id, member_ids)


async def _dialogue(database: Database, one: int, other: int) -> int:
    async with database.transaction() as tx:
        return await Chats(tx).create_dialogue(one, other)


async def _until_a_statement_waits_on_a_lock(database: Database) -> None:
    with trio.fail_after(5):
        while not await database.fetchval(
            "SELECT EXISTS (SELECT FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock')"
        ):
            await trio.sleep(0.01)


async def _as_one_batch(database: Database, rooms: Rooms, chat_id: int, reader_id: int,
                        posts: Sequence[Say]) -> list[outcome.Outcome]:
    """Each post's answer, the posts queued in order behind a read of ``reader_id``
    (who must have something unread) that waits on this test's lock."""
    handle = rooms.registry.lookup(room_name(chat_id))
    assert handle is not None, "the room runs"
    answers: dict[int, outcome.Outcome] = {}

    async def send(n: int, post: Say) -> None:
        sender_id, client_id, content, kind = post
        answers[n] = await outcome.acapture(
            handle.request, lambda reply: Post(sender_id, client_id, content, reply, kind),
            timeout=5,
        )

    async with trio.open_nursery() as nursery:
        async with database.transaction() as lock:
            await lock.execute(
                "SELECT FROM chat_members WHERE chat_id = %s AND user_id = %s FOR UPDATE",
                chat_id, reader_id,
            )
            nursery.start_soon(rooms.rooms.checked, chat_id, reader_id, None)
            await _until_a_statement_waits_on_a_lock(database)
            for queued, post in enumerate(posts, start=1):
                nursery.start_soon(send, queued, post)
                with trio.fail_after(5):
                    while handle.depth < queued:
                        await trio.sleep(0)
    return [answers[n] for n in range(1, len(posts) + 1)]


def _posted(answer: outcome.Outcome) -> Posted:
    posted = answer.unwrap()
    assert isinstance(posted, Posted)
    return posted


async def _received_ids(connection: Connection, count: int) -> list[int]:
    """The ids of the next ``count`` messages the connection hears of."""
    ids: list[int] = []
    with trio.fail_after(5):
        while len(ids) < count:
            event = await connection.events.receive()
            if event.name == "receive-message":
                ids.append(event.data["id"])
    return ids


async def test_a_burst_from_several_members_is_stored_in_one_write_in_order(
    database: Database,
) -> None:
    alice, bob, carol, dave = await _people(database, "alice", "bob", "carol", "dave")
    chat_id = await _group(database, alice, [bob, carol, dave])
    chats = Chats(database)
    senders = [alice, carol, dave, bob]
    burst = [say(senders[n % 4], f"k{n}", f"m{n}") for n in range(12)]
    async with chat_rooms(database) as rooms, rooms.bus.connect(carol) as carols:
        first = await rooms.rooms.post(chat_id, alice, "before the burst")
        answers = await _as_one_batch(database, rooms, chat_id, bob, burst)
        posted = [_posted(answer) for answer in answers]
        assert [p.message.seq for p in posted] == list(range(2, 14))
        assert [p.message.content for p in posted] == [content for *_, content, _ in burst]
        assert not any(p.retried for p in posted)
        # One transaction: now() is its start, the same for every message of the batch.
        assert len({p.message.sent_at for p in posted}) == 1
        assert await _received_ids(carols, 13) == [first.message.id,
                                                   *(p.message.id for p in posted)]
        unread = await rooms.rooms.checked(chat_id, carol, 0)
        assert (unread.amount_total, unread.amount_unseen) == (13, 13 - 11)
    _, stored = await chats.messages(chat_id, before=None, limit=None, offset=0)
    assert [(m.seq, m.content) for m in reversed(stored)] == [
        (1, "before the burst"), *((p.message.seq, p.message.content) for p in posted),
    ]
    # Sending counts as having read everything before one's own last message.
    for member, last_seq in ((alice, 10), (carol, 11), (dave, 12), (bob, 13)):
        chat = await chats.chat(chat_id, member)
        assert chat is not None and chat.seen_count == last_seq


async def test_in_a_blocked_dialogue_a_batch_stores_nothing_and_answers_each_post(
    database: Database,
) -> None:
    alice, bob = await _people(database, "alice", "bob")
    chat_id = await _dialogue(database, alice, bob)
    async with chat_rooms(database) as rooms:
        before = await rooms.rooms.post(chat_id, alice, "before the block", "k")
        await Social(database).block(bob, alice)
        answers = await _as_one_batch(database, rooms, chat_id, bob, [
            say(bob, "b1", "blocked, and writing anyway"),
            say(alice, "k", "a retry of what was stored"),
            say(alice, "a2", "after the block"),
        ])
        for refused in (answers[0], answers[2]):
            with pytest.raises(Forbidden) as why:
                refused.unwrap()
            assert why.value.code == "user_blocked"
        retry = _posted(answers[1])
        assert retry.retried and retry.message.id == before.message.id
        unread = await rooms.rooms.checked(chat_id, alice, None)
        assert unread.amount_total == 1
    room = await Chats(database).room(chat_id)
    assert room is not None and room.message_count == 1


async def test_a_client_id_used_twice_stores_once_within_a_batch_and_before_it(
    database: Database,
) -> None:
    alice, bob, carol = await _people(database, "alice", "bob", "carol")
    chat_id = await _group(database, alice, [bob, carol])
    async with chat_rooms(database) as rooms:
        earlier = await rooms.rooms.post(chat_id, alice, "stored before", "a1")
        answers = await _as_one_batch(database, rooms, chat_id, bob, [
            say(alice, "a1", "a retry of the earlier one"),
            say(carol, "c1", "carol's"),
            say(alice, "a2", "alice's"),
            say(carol, "c1", "a retry of carol's, in the same batch"),
            say(bob, "c1", "bob's: another sender, the same client_id"),
        ])
        posted = [_posted(answer) for answer in answers]
    assert [(p.retried, p.message.seq, p.message.content) for p in posted] == [
        (True, 1, "stored before"),
        (False, 2, "carol's"),
        (False, 3, "alice's"),
        (True, 2, "carol's"),
        (False, 4, "bob's: another sender, the same client_id"),
    ]
    assert posted[0].message.id == earlier.message.id
    assert posted[3].message.id == posted[1].message.id
    room = await Chats(database).room(chat_id)
    assert room is not None and room.message_count == 4


async def test_a_post_the_database_refuses_fails_alone_and_the_rest_of_its_batch_is_stored(
    database: Database,
) -> None:
    alice, bob, carol = await _people(database, "alice", "bob", "carol")
    chat_id = await _group(database, alice, [bob, carol])
    async with chat_rooms(database) as rooms:
        await rooms.rooms.post(chat_id, alice, "before")
        # The database refuses the batch's statement: a kind its check constraint rejects.
        answers = await _as_one_batch(database, rooms, chat_id, bob, [
            say(carol, "c1", "fine on its own"),
            say(alice, "a1", "of no kind the table takes", kind="bogus"),
            say(bob, "b1", "fine on its own too"),
        ])
        with pytest.raises(DataRefused):
            answers[1].unwrap()
        assert [(p.retried, p.message.seq) for p in map(_posted, (answers[0], answers[2]))] == [
            (False, 2), (False, 3),
        ]
        after = await rooms.rooms.post(chat_id, carol, "after")
        assert after.message.seq == 4
        assert rooms.supervisor.restarts == 0
    _, stored = await Chats(database).messages(chat_id, before=None, limit=None, offset=0)
    assert [m.content for m in reversed(stored)] == [
        "before", "fine on its own", "fine on its own too", "after",
    ]
