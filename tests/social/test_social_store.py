"""The social graph's tables and repository against a real PostgreSQL."""

from __future__ import annotations

import pytest

from courtside.persistence import Database, Social, UniqueViolation, Users

from .records import recorded_match, stored_user


async def test_a_friendship_is_one_row_seen_from_both_sides(database: Database) -> None:
    ann, ben, cat = [await stored_user(database, name) for name in ("ann", "ben", "cat")]
    social = Social(database)
    request = await social.send_request(ben, ann)
    friendship_id = await social.accept_request(request.id, ann)
    assert friendship_id == request.id
    assert await social.accept_request(request.id, ann) is None

    assert await social.friend_ids(ann) == [ben]
    assert await social.friend_ids(ben) == [ann]
    assert await social.friend_ids(cat) == []
    seen_by_ann = await social.friendship(friendship_id, ann)
    seen_by_ben = await social.friendship(friendship_id, ben)
    assert seen_by_ann is not None and seen_by_ann.friend.username == "ben"
    assert seen_by_ben is not None and seen_by_ben.friend.username == "ann"
    assert await social.friendship(friendship_id, cat) is None

    with pytest.raises(UniqueViolation):
        await database.execute(
            "INSERT INTO friendships (id, user_low, user_high) VALUES (%s, %s, %s)",
            friendship_id + 1, min(ann, ben), max(ann, ben),
        )


async def test_one_pending_request_per_pair_whichever_way(database: Database) -> None:
    ann, ben = await stored_user(database, "ann"), await stored_user(database, "ben")
    social = Social(database)
    await social.send_request(ann, ben)
    with pytest.raises(UniqueViolation):
        await social.send_request(ben, ann)
    with pytest.raises(UniqueViolation):
        await social.send_request(ann, ben)


async def test_relationships_from_each_side(database: Database) -> None:
    ann, ben, cat, dan = [await stored_user(database, n) for n in ("ann", "ben", "cat", "dan")]
    social = Social(database)
    sent = await social.send_request(ann, ben)
    received = await social.send_request(cat, ann)
    block = await social.block(dan, ann)

    seen = await social.relationships(ann, [ben, cat, dan])
    assert (seen[ben].sent_request_id, seen[ben].received_request_id) == (sent.id, None)
    assert (seen[cat].sent_request_id, seen[cat].received_request_id) == (None, received.id)
    assert (seen[dan].blocked_by, seen[dan].block_id) == (True, None)
    assert (await social.relationship(dan, ann)).block_id == block.id
    assert await social.blocker_ids(ann) == [dan]
    assert (await social.pending_sent(ann), await social.pending_received(ann)) == (1, 1)


async def test_head_to_head_counts_decided_matches_from_each_side(database: Database) -> None:
    ann, ben, cat, dan, eve, fay = [
        await stored_user(database, n) for n in ("ann", "ben", "cat", "dan", "eve", "fay")
    ]
    await recorded_match(database, [ann], [ben], "a")
    await recorded_match(database, [ann], [ben], "a")
    await recorded_match(database, [ben], [ann], "a")
    await recorded_match(database, [ann], [ben], None)  # aborted: counts for nobody
    await recorded_match(database, [ann, ben, cat], [dan, eve, fay], "a")
    await recorded_match(database, [dan, ann, eve], [ben, cat, fay], "b")
    await recorded_match(database, [cat], [dan], "a")  # neither of the pair played
    social = Social(database)
    request = await social.send_request(ann, ben)
    friendship_id = await social.accept_request(request.id, ben)
    assert friendship_id is not None

    for_ann = await social.friendship(friendship_id, ann)
    for_ben = await social.friendship(friendship_id, ben)
    assert for_ann is not None and for_ben is not None
    assert (for_ann.me_wins, for_ann.friend_wins, for_ann.played_against) == (2, 2, 4)
    assert (for_ben.me_wins, for_ben.friend_wins, for_ben.played_against) == (2, 2, 4)
    assert (for_ann.played_together, for_ann.won_together) == (1, 1)


async def test_a_deleted_user_cannot_be_locked_and_leaves_no_ties(database: Database) -> None:
    ann, ben, cat = [await stored_user(database, name) for name in ("ann", "ben", "cat")]
    social = Social(database)
    friendship_id = await social.accept_request((await social.send_request(ann, ben)).id, ben)
    await social.send_request(cat, ann)
    await social.block(ann, cat)
    async with database.transaction() as tx:
        severed = await Social(tx).sever_all(ann)
        await Users(tx).anonymise(ann)
    assert [f.id for f in severed.friendships] == [friendship_id]
    assert [(r.sender_id, r.receiver_id) for r in severed.requests] == [(cat, ann)]
    assert await social.blocker_ids(cat) == []

    async with database.transaction() as tx:
        assert await Social(tx).lock_users(ann, ben) == {ben}
