"""The social graph: friend requests, friendships and blocks between users.

Writes that check the graph before changing it run in one transaction that
first calls ``lock_users`` on both people: every change between two users then
happens one at a time, so two people asking each other at once end as one
friendship, and limits (pending requests, blocks) cannot be overrun by
parallel requests. The unique constraints stay as the last word.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from .database import Executor


class Person(msgspec.Struct, frozen=True):
    """A user as others see them in a list: a name, a face, when last seen."""

    id: int
    username: str
    nickname: str
    is_guest: bool
    avatar: str | None
    last_online: datetime | None


class FriendRequest(msgspec.Struct, frozen=True):
    id: int
    sender: Person
    receiver: Person
    sent_at: datetime


class Friendship(msgspec.Struct, frozen=True):
    """A friendship seen from one side, with the head-to-head record of the pair.

    Only decided matches count: an aborted match was played by nobody.
    """

    id: int
    friend: Person
    since: datetime
    friend_wins: int
    me_wins: int
    played_against: int
    played_together: int
    won_together: int


class Block(msgspec.Struct, frozen=True):
    id: int
    blocked: Person
    blocked_at: datetime


class Relationship(msgspec.Struct, frozen=True):
    """Everything between a user and ``other_id``, from the user's side."""

    other_id: int
    friendship_id: int | None
    sent_request_id: int | None
    received_request_id: int | None
    block_id: int | None
    blocked_by: bool


class RequestEnds(msgspec.Struct, frozen=True):
    id: int
    sender_id: int
    receiver_id: int


class FriendshipEnds(msgspec.Struct, frozen=True):
    id: int
    user_low: int
    user_high: int

    def other_than(self, user_id: int) -> int:
        return self.user_high if user_id == self.user_low else self.user_low


class Severed(msgspec.Struct, frozen=True):
    """The requests and friendships a block or an account deletion removed."""

    requests: list[RequestEnds]
    friendships: list[FriendshipEnds]


_PERSON_WIDTH = len(Person.__struct_fields__)


def _person_columns(alias: str) -> str:
    return ", ".join(f"{alias}.{field}" for field in Person.__struct_fields__)


def _person(row: Sequence[Any], start: int) -> Person:
    return Person(*row[start:start + _PERSON_WIDTH])


_REQUEST_SELECT = (
    f"SELECT r.id, r.sent_at, {_person_columns('s')}, {_person_columns('v')}"
    " FROM friend_requests r"
    " JOIN users s ON s.id = r.sender_id JOIN users v ON v.id = r.receiver_id"
)

# Its one parameter is the viewer, whose friendships it reads.
_FRIENDSHIP_SELECT = (
    f"SELECT f.id, f.since, h.friend_wins, h.me_wins, h.played_against,"
    f" h.played_together, h.won_together, {_person_columns('u')}"
    " FROM (SELECT %s::bigint AS id) me"
    " JOIN friendships f ON me.id IN (f.user_low, f.user_high)"
    " JOIN users u ON u.id = CASE WHEN f.user_low = me.id THEN f.user_high ELSE f.user_low END"
    " CROSS JOIN LATERAL ("
    "  SELECT"
    "   count(*) FILTER (WHERE them.team <> us.team AND them.team = m.winning_team)"
    "     AS friend_wins,"
    "   count(*) FILTER (WHERE them.team <> us.team AND us.team = m.winning_team) AS me_wins,"
    "   count(*) FILTER (WHERE them.team <> us.team) AS played_against,"
    "   count(*) FILTER (WHERE them.team = us.team) AS played_together,"
    "   count(*) FILTER (WHERE them.team = us.team AND us.team = m.winning_team)"
    "     AS won_together"
    "  FROM match_players us"
    "  JOIN match_players them ON them.match_id = us.match_id AND them.user_id = u.id"
    "  JOIN matches m ON m.id = us.match_id AND m.winning_team IS NOT NULL"
    "  WHERE us.user_id = me.id"
    " ) h"
)


def _request(row: Sequence[Any]) -> FriendRequest:
    return FriendRequest(row[0], _person(row, 2), _person(row, 2 + _PERSON_WIDTH), row[1])


def _friendship(row: Sequence[Any]) -> Friendship:
    # id, since and the five counts, then the friend.
    return Friendship(row[0], _person(row, 7), *row[1:7])


class Social:
    """Repository over ``friend_requests``, ``friendships`` and ``blocks``.

    Lists take ``limit`` and ``offset``; a ``limit`` of None lists everything.
    """

    def __init__(self, db: Executor) -> None:
        self._db = db

    async def lock_users(self, *user_ids: int) -> set[int]:
        """Lock these users' rows until the transaction ends; returns those still live.

        Rows are locked in id order, so two transactions locking the same pair
        wait for each other instead of deadlocking.
        """
        rows = await self._db.fetch(
            "SELECT id FROM users WHERE id = ANY(%s) AND deleted_at IS NULL"
            " ORDER BY id FOR NO KEY UPDATE",
            list(user_ids), write=True,
        )
        return {row[0] for row in rows}

    async def relationships(
        self, user_id: int, other_ids: Sequence[int]
    ) -> dict[int, Relationship]:
        rows = await self._db.fetch(
            "SELECT o.id AS other_id,"
            " (SELECT f.id FROM friendships f"
            "   WHERE f.user_low = least(me.id, o.id) AND f.user_high = greatest(me.id, o.id))"
            "   AS friendship_id,"
            " (SELECT r.id FROM friend_requests r"
            "   WHERE r.sender_id = me.id AND r.receiver_id = o.id) AS sent_request_id,"
            " (SELECT r.id FROM friend_requests r"
            "   WHERE r.sender_id = o.id AND r.receiver_id = me.id) AS received_request_id,"
            " (SELECT b.id FROM blocks b WHERE b.blocker_id = me.id AND b.blocked_id = o.id)"
            "   AS block_id,"
            " EXISTS (SELECT FROM blocks b WHERE b.blocker_id = o.id AND b.blocked_id = me.id)"
            "   AS blocked_by"
            " FROM (SELECT %s::bigint AS id) me, unnest(%s::bigint[]) AS o(id)",
            user_id, list(other_ids), into=Relationship,
        )
        return {relationship.other_id: relationship for relationship in rows}

    async def relationship(self, user_id: int, other_id: int) -> Relationship:
        return (await self.relationships(user_id, [other_id]))[other_id]

    async def friend_ids(self, user_id: int) -> list[int]:
        rows = await self._db.fetch(
            "SELECT CASE WHEN user_low = %s THEN user_high ELSE user_low END"
            " FROM friendships WHERE %s IN (user_low, user_high)",
            user_id, user_id,
        )
        return [row[0] for row in rows]

    async def blocker_ids(self, user_id: int) -> list[int]:
        """Who blocked this user: people they must not find."""
        rows = await self._db.fetch(
            "SELECT blocker_id FROM blocks WHERE blocked_id = %s", user_id
        )
        return [row[0] for row in rows]

    async def pending_sent(self, user_id: int) -> int:
        return await self._db.fetchval(
            "SELECT count(*) FROM friend_requests WHERE sender_id = %s", user_id
        )

    async def pending_received(self, user_id: int) -> int:
        return await self._db.fetchval(
            "SELECT count(*) FROM friend_requests WHERE receiver_id = %s", user_id
        )

    # Friend requests

    async def send_request(self, sender_id: int, receiver_id: int) -> FriendRequest:
        request_id = await self._db.fetchval(
            "INSERT INTO friend_requests (sender_id, receiver_id) VALUES (%s, %s) RETURNING id",
            sender_id, receiver_id, write=True,
        )
        request = await self.friend_request(request_id, sender_id)
        assert request is not None
        return request

    async def friend_request(self, request_id: int, party_id: int) -> FriendRequest | None:
        """The request, if ``party_id`` sent or received it."""
        row = await self._db.fetchrow(
            f"{_REQUEST_SELECT} WHERE r.id = %s AND %s IN (r.sender_id, r.receiver_id)",
            request_id, party_id,
        )
        return None if row is None else _request(row)

    async def sent_requests(
        self, user_id: int, *, limit: int | None, offset: int
    ) -> tuple[int, list[FriendRequest]]:
        """Pending requests the user sent, newest first."""
        return await self._requests("sender_id", user_id, limit, offset)

    async def received_requests(
        self, user_id: int, *, limit: int | None, offset: int
    ) -> tuple[int, list[FriendRequest]]:
        """Pending requests the user received, newest first."""
        return await self._requests("receiver_id", user_id, limit, offset)

    async def _requests(
        self, party: str, user_id: int, limit: int | None, offset: int
    ) -> tuple[int, list[FriendRequest]]:
        count = await self._db.fetchval(
            f"SELECT count(*) FROM friend_requests WHERE {party} = %s", user_id
        )
        rows = await self._db.fetch(
            f"{_REQUEST_SELECT} WHERE r.{party} = %s ORDER BY r.id DESC LIMIT %s OFFSET %s",
            user_id, limit, offset,
        )
        return count, [_request(row) for row in rows]

    async def withdraw_request(self, request_id: int, party_id: int) -> RequestEnds | None:
        """Remove the request if ``party_id`` sent (cancel) or received (reject) it."""
        return await self._db.fetchrow(
            "DELETE FROM friend_requests WHERE id = %s AND %s IN (sender_id, receiver_id)"
            " RETURNING id, sender_id, receiver_id",
            request_id, party_id, into=RequestEnds, write=True,
        )

    async def accept_request(self, request_id: int, receiver_id: int) -> int | None:
        """Turn the request into a friendship under the request's id (clients keep the
        id they were sent); that id, or None if the request is gone."""
        ends = await self._db.fetchrow(
            "DELETE FROM friend_requests WHERE id = %s AND receiver_id = %s"
            " RETURNING sender_id, receiver_id",
            request_id, receiver_id, write=True,
        )
        if ends is None:
            return None
        return await self._db.fetchval(
            "INSERT INTO friendships (id, user_low, user_high)"
            " VALUES (%s, least(%s, %s), greatest(%s, %s)) RETURNING id",
            request_id, *ends, *ends, write=True,
        )

    # Friendships

    async def friendship(self, friendship_id: int, viewer_id: int) -> Friendship | None:
        """The friendship seen by ``viewer_id``, if they are one of the pair."""
        row = await self._db.fetchrow(
            f"{_FRIENDSHIP_SELECT} WHERE f.id = %s", viewer_id, friendship_id,
        )
        return None if row is None else _friendship(row)

    async def friends(
        self, user_id: int, *, online_ids: Sequence[int], among: Sequence[int] | None = None,
        limit: int | None, offset: int,
    ) -> tuple[int, list[Friendship]]:
        """The user's friendships: friends in ``online_ids`` first, then by username;
        only the friends in ``among`` unless it is None."""
        among = None if among is None else list(among)
        count = await self._db.fetchval(
            "SELECT count(*) FROM friendships"
            " WHERE %s IN (user_low, user_high) AND (%s::bigint[] IS NULL"
            "  OR CASE WHEN user_low = %s THEN user_high ELSE user_low END = ANY(%s))",
            user_id, among, user_id, among,
        )
        rows = await self._db.fetch(
            f"{_FRIENDSHIP_SELECT} WHERE (%s::bigint[] IS NULL OR u.id = ANY(%s))"
            " ORDER BY u.id = ANY(%s) DESC, lower(u.username), u.id LIMIT %s OFFSET %s",
            user_id, among, among, list(online_ids), limit, offset,
        )
        return count, [_friendship(row) for row in rows]

    async def end_friendship(self, friendship_id: int, party_id: int) -> FriendshipEnds | None:
        """Remove the friendship if ``party_id`` is one of the pair."""
        return await self._db.fetchrow(
            "DELETE FROM friendships WHERE id = %s AND %s IN (user_low, user_high)"
            " RETURNING id, user_low, user_high",
            friendship_id, party_id, into=FriendshipEnds, write=True,
        )

    # Blocks

    async def block(self, blocker_id: int, blocked_id: int) -> Block:
        block_id = await self._db.fetchval(
            "INSERT INTO blocks (blocker_id, blocked_id) VALUES (%s, %s) RETURNING id",
            blocker_id, blocked_id, write=True,
        )
        rows = await self._blocks("b.id = %s", block_id, limit=1, offset=0)
        return rows[0]

    async def blocks(
        self, blocker_id: int, *, limit: int | None, offset: int
    ) -> tuple[int, list[Block]]:
        """The users this one blocked, most recent first."""
        return await self.block_count(blocker_id), await self._blocks(
            "b.blocker_id = %s", blocker_id, limit=limit, offset=offset
        )

    async def _blocks(
        self, where: str, value: int, *, limit: int | None, offset: int
    ) -> list[Block]:
        rows = await self._db.fetch(
            f"SELECT b.id, b.blocked_at, {_person_columns('u')}"
            f" FROM blocks b JOIN users u ON u.id = b.blocked_id WHERE {where}"
            " ORDER BY b.id DESC LIMIT %s OFFSET %s",
            value, limit, offset,
        )
        return [Block(row[0], _person(row, 2), row[1]) for row in rows]

    async def block_count(self, blocker_id: int) -> int:
        return await self._db.fetchval(
            "SELECT count(*) FROM blocks WHERE blocker_id = %s", blocker_id
        )

    async def unblock(self, block_id: int, blocker_id: int) -> bool:
        return bool(await self._db.execute(
            "DELETE FROM blocks WHERE id = %s AND blocker_id = %s", block_id, blocker_id
        ))

    async def sever(self, user_id: int, other_id: int) -> Severed:
        """Remove the pair's friendship and their pending requests either way."""
        requests = await self._db.fetch(
            "DELETE FROM friend_requests"
            " WHERE (sender_id = %s AND receiver_id = %s) OR (sender_id = %s AND receiver_id = %s)"
            " RETURNING id, sender_id, receiver_id",
            user_id, other_id, other_id, user_id, into=RequestEnds, write=True,
        )
        friendships = await self._db.fetch(
            "DELETE FROM friendships"
            " WHERE user_low = least(%s, %s) AND user_high = greatest(%s, %s)"
            " RETURNING id, user_low, user_high",
            user_id, other_id, user_id, other_id, into=FriendshipEnds, write=True,
        )
        return Severed(requests, friendships)

    async def sever_all(self, user_id: int) -> Severed:
        """Remove every tie of a user who leaves: friendships, requests, blocks either way."""
        requests = await self._db.fetch(
            "DELETE FROM friend_requests WHERE %s IN (sender_id, receiver_id)"
            " RETURNING id, sender_id, receiver_id",
            user_id, into=RequestEnds, write=True,
        )
        friendships = await self._db.fetch(
            "DELETE FROM friendships WHERE %s IN (user_low, user_high)"
            " RETURNING id, user_low, user_high",
            user_id, into=FriendshipEnds, write=True,
        )
        await self._db.execute(
            "DELETE FROM blocks WHERE %s IN (blocker_id, blocked_id)", user_id
        )
        return Severed(requests, friendships)
