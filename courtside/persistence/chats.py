"""Chats: dialogues and group chats, their members, and their messages (DESIGN.md §9).

Messages are numbered 1, 2, ... within their chat (``seq``) and each member
keeps how many they have seen (``seen_count``), so a member's unread count is
the chat's ``message_count`` minus their ``seen_count``, and a deleted message
(a tombstone) keeps its number. Writes that change a live chat (messages,
reads, membership) come from that chat's room actor, one at a time; reads come
straight from the HTTP layer.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from .database import Executor, UniqueViolation
from .social import Person

DIALOGUE = "dialogue"
GROUP = "group"
# Message kinds: plain text, or an invitation to play (its payload says which and how it stands).
TEXT = "message"
INVITE = "invite"
# An announcement from the server (a tournament's rounds and results): no author.
SYSTEM = "system"


class DialogueExists(Exception):
    """The two users already share a dialogue."""


class Message(msgspec.Struct, frozen=True):
    """A message; ``content`` is None once deleted.

    ``is_read``: someone other than its author has seen it (a read receipt:
    in a dialogue, the recipient read it). ``kind`` is TEXT, INVITE or SYSTEM; an
    invite's ``payload`` holds its match type and status, a system message's what
    it announces. ``author`` is None for a system message.
    """

    id: int
    chat_id: int
    seq: int
    author: Person | None
    content: str | None
    sent_at: datetime
    deleted_at: datetime | None
    is_read: bool
    kind: str = TEXT
    payload: dict[str, Any] | None = None


class Chat(msgspec.Struct, frozen=True):
    """A chat as one member sees it: ``partner`` in a dialogue, ``name`` in a group."""

    id: int
    kind: str
    name: str | None
    admin_id: int | None
    created_at: datetime
    message_count: int
    members_count: int
    view_chat: bool
    seen_count: int
    partner: Person | None
    last_message: Message | None

    @property
    def is_group(self) -> bool:
        return self.kind == GROUP

    @property
    def unread(self) -> int:
        return self.message_count - self.seen_count


class RoomMember(msgspec.Struct, frozen=True):
    user_id: int
    seen_count: int


class Room(msgspec.Struct, frozen=True):
    """What a chat's room actor starts from: the chat and how far each member has read."""

    chat_id: int
    kind: str
    admin_id: int | None
    message_count: int
    members: list[RoomMember]


class Outcome(enum.Enum):
    STORED = "stored"
    DUPLICATE = "duplicate"  # the sender's client_id was used: this is the stored message
    REFUSED = "refused"  # a block stands between the two people of a dialogue


class Stored(msgspec.Struct, frozen=True):
    outcome: Outcome
    message: Message | None


class Draft(msgspec.Struct, frozen=True):
    """A message to store: its sender, their client_id for it, and what it holds."""

    sender_id: int
    client_id: str
    content: str
    partner_id: int | None = None  # in a dialogue, the other person (see store_messages)
    kind: str = TEXT
    payload: dict[str, Any] | None = None


class Deletion(enum.Enum):
    DELETED = "deleted"
    ALREADY_DELETED = "already_deleted"
    NOT_AUTHOR = "not_author"
    NOT_FOUND = "not_found"


_PERSON_WIDTH = len(Person.__struct_fields__)


def _person_columns(alias: str) -> str:
    return ", ".join(f"{alias}.{field}" for field in Person.__struct_fields__)


def _person(row: Sequence[Any], start: int) -> Person | None:
    values = row[start:start + _PERSON_WIDTH]
    return None if values[0] is None else Person(*values)


# Nine message columns then the author; ``m`` is chat_messages, ``a`` the author.
_MESSAGE_COLUMNS = (
    "m.id, m.chat_id, m.seq, m.content, m.sent_at, m.deleted_at,"
    " EXISTS (SELECT FROM chat_members r WHERE r.chat_id = m.chat_id"
    "   AND r.user_id IS DISTINCT FROM m.sender_id AND r.seen_count >= m.seq) AS is_read,"
    " m.kind, m.payload,"
    f" {_person_columns('a')}"
)
_MESSAGE_WIDTH = 9 + _PERSON_WIDTH


def _message(row: Sequence[Any], start: int = 0) -> Message | None:
    if row[start] is None:
        return None
    id_, chat_id, seq, content, sent_at, deleted_at, is_read, kind, payload = row[start:start + 9]
    return Message(id_, chat_id, seq, _person(row, start + 9), content, sent_at, deleted_at, is_read, kind, payload)


# One parameter, the viewer. Rows: the chat columns, the partner, the last message.
_CHAT_SELECT = (
    "SELECT c.id, c.kind, c.name, c.admin_id, c.created_at, c.message_count,"
    " (SELECT count(*) FROM chat_members n WHERE n.chat_id = c.id) AS members_count,"
    " me.view_chat, me.seen_count,"
    f" {_person_columns('p')}, {_MESSAGE_COLUMNS}"
    " FROM chat_members me"
    " JOIN chats c ON c.id = me.chat_id"
    " LEFT JOIN users p ON c.kind = 'dialogue'"
    "  AND p.id = CASE WHEN c.user_low = me.user_id THEN c.user_high ELSE c.user_low END"
    " LEFT JOIN chat_messages m ON m.chat_id = c.id AND m.seq = c.message_count"
    " LEFT JOIN users a ON a.id = m.sender_id"
    " WHERE me.user_id = %s"
)


def _chat(row: Sequence[Any]) -> Chat:
    return Chat(
        *row[:9],
        partner=_person(row, 9),
        last_message=_message(row, 9 + _PERSON_WIDTH),
    )


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Chats:
    """Repository over ``chats``, ``chat_members`` and ``chat_messages``."""

    def __init__(self, db: Executor) -> None:
        self._db = db

    # Reading, for the HTTP layer

    async def chat(self, chat_id: int, viewer_id: int) -> Chat | None:
        """The chat as ``viewer_id`` sees it; None if it does not exist or they are not in it."""
        row = await self._db.fetchrow(f"{_CHAT_SELECT} AND c.id = %s", viewer_id, chat_id)
        return None if row is None else _chat(row)

    async def chats(
        self, viewer_id: int, *, query: str | None, limit: int | None, offset: int
    ) -> tuple[int, list[Chat]]:
        """The viewer's chats, latest activity first.

        Without ``query``: the chats they have not hidden. With one: every chat of
        theirs whose dialogue partner (username or nickname) or group name contains it.
        """
        if query:
            pattern = _like_pattern(query)
            where = (
                " AND (p.username ILIKE %s OR p.nickname ILIKE %s OR c.name ILIKE %s)"
            )
            params: tuple[Any, ...] = (pattern, pattern, pattern)
        else:
            where, params = " AND me.view_chat", ()
        count = await self._db.fetchval(
            "SELECT count(*) FROM chat_members me JOIN chats c ON c.id = me.chat_id"
            " LEFT JOIN users p ON c.kind = 'dialogue'"
            "  AND p.id = CASE WHEN c.user_low = me.user_id THEN c.user_high ELSE c.user_low END"
            f" WHERE me.user_id = %s{where}",
            viewer_id, *params,
        )
        rows = await self._db.fetch(
            f"{_CHAT_SELECT}{where} ORDER BY c.last_activity_at DESC, c.id DESC"
            " LIMIT %s OFFSET %s",
            viewer_id, *params, limit, offset,
        )
        return count, [_chat(row) for row in rows]

    async def every_chat(self, viewer_id: int) -> list[Chat]:
        """Every chat the viewer is in, hidden ones too, oldest first."""
        rows = await self._db.fetch(f"{_CHAT_SELECT} ORDER BY c.id", viewer_id)
        return [_chat(row) for row in rows]

    async def members(self, chat_id: int) -> list[Person]:
        rows = await self._db.fetch(
            f"SELECT {_person_columns('u')} FROM chat_members m JOIN users u ON u.id = m.user_id"
            " WHERE m.chat_id = %s ORDER BY m.joined_at, u.id",
            chat_id,
        )
        return [Person(*row) for row in rows]

    async def is_member(self, chat_id: int, user_id: int) -> bool:
        return bool(await self._db.fetchval(
            "SELECT EXISTS (SELECT FROM chat_members WHERE chat_id = %s AND user_id = %s)",
            chat_id, user_id,
        ))

    async def messages(
        self, chat_id: int, *, before: int | None, limit: int | None, offset: int,
        hidden_from: int | None = None,
    ) -> tuple[int, list[Message]]:
        """The chat's messages, newest first; with ``before``, only those older than it.

        Paging from a ``before`` stays stable while new messages arrive. With
        ``hidden_from``, a reader's id, the messages of people they blocked are left
        out (the world chat's rule).
        """
        where = (
            "" if before is None else
            " AND m.seq < coalesce("
            "(SELECT seq FROM chat_messages WHERE id = %s AND chat_id = m.chat_id), 0)"
        )
        params: tuple[Any, ...] = () if before is None else (before,)
        if hidden_from is not None:
            where += (" AND NOT EXISTS (SELECT FROM blocks b"
                      " WHERE b.blocker_id = %s AND b.blocked_id = m.sender_id)")
            params += (hidden_from,)
        count = await self._db.fetchval(
            f"SELECT count(*) FROM chat_messages m WHERE m.chat_id = %s{where}", chat_id, *params
        )
        rows = await self._db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages m LEFT JOIN users a ON a.id = m.sender_id"
            f" WHERE m.chat_id = %s{where} ORDER BY m.seq DESC LIMIT %s OFFSET %s",
            chat_id, *params, limit, offset,
        )
        return count, [message for row in rows if (message := _message(row)) is not None]

    async def messages_by(self, sender_id: int) -> list[Message]:
        """Every message the user wrote, tombstones included, by chat then in order."""
        rows = await self._db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages m JOIN users a ON a.id = m.sender_id"
            " WHERE m.sender_id = %s ORDER BY m.chat_id, m.seq",
            sender_id,
        )
        return [message for row in rows if (message := _message(row)) is not None]

    async def message(self, message_id: int) -> Message | None:
        row = await self._db.fetchrow(
            f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages m LEFT JOIN users a ON a.id = m.sender_id"
            " WHERE m.id = %s",
            message_id,
        )
        return None if row is None else _message(row)

    async def chats_with_unread(self, user_id: int) -> int:
        """How many of the user's chats hold messages they have not seen."""
        return await self._db.fetchval(
            "SELECT count(*) FROM chat_members me JOIN chats c ON c.id = me.chat_id"
            " WHERE me.user_id = %s AND me.seen_count < c.message_count",
            user_id,
        )

    async def dialogue_between(self, user_id: int, other_id: int) -> int | None:
        return await self._db.fetchval(
            "SELECT id FROM chats WHERE kind = 'dialogue'"
            " AND user_low = least(%s::bigint, %s::bigint)"
            " AND user_high = greatest(%s::bigint, %s::bigint)",
            user_id, other_id, user_id, other_id,
        )

    async def dialogues_with(self, user_id: int, other_ids: Sequence[int]) -> dict[int, int]:
        """The user's dialogue with each of ``other_ids`` who has one: other id -> chat id."""
        rows = await self._db.fetch(
            "SELECT CASE WHEN user_low = %s THEN user_high ELSE user_low END, id FROM chats"
            " WHERE kind = 'dialogue' AND ("
            "  (user_low = %s AND user_high = ANY(%s::bigint[]))"
            "  OR (user_high = %s AND user_low = ANY(%s::bigint[])))",
            user_id, user_id, list(other_ids), user_id, list(other_ids),
        )
        return dict(rows)

    # Creating and hiding chats, from the HTTP layer (no room runs yet for a new chat)

    async def create_dialogue(self, user_id: int, other_id: int) -> int:
        """A dialogue between the two, shown to both; DialogueExists if they have one."""
        try:
            chat_id = await self._db.fetchval(
                "INSERT INTO chats (kind, user_low, user_high)"
                " VALUES ('dialogue',"
                "  least(%s::bigint, %s::bigint), greatest(%s::bigint, %s::bigint))"
                " RETURNING id",
                user_id, other_id, user_id, other_id, write=True,
            )
        except UniqueViolation:
            raise DialogueExists() from None
        await self._db.execute(
            "INSERT INTO chat_members (chat_id, user_id) VALUES (%s, %s), (%s, %s)",
            chat_id, user_id, chat_id, other_id,
        )
        return chat_id

    async def create_group(self, name: str, admin_id: int, member_ids: Sequence[int]) -> int:
        chat_id = await self._db.fetchval(
            "INSERT INTO chats (kind, name, admin_id) VALUES ('group', %s, %s) RETURNING id",
            name, admin_id, write=True,
        )
        await self._db.execute(
            "INSERT INTO chat_members (chat_id, user_id)"
            " SELECT %s, unnest(%s::bigint[])",
            chat_id, [admin_id, *(user_id for user_id in member_ids if user_id != admin_id)],
        )
        return chat_id

    async def create_owned_group(self, name: str, member_ids: Sequence[int]) -> int:
        """A group no member administers: the feature that made it (a tournament) adds
        and removes its members through its room, and nobody deletes it."""
        chat_id = await self._db.fetchval(
            "INSERT INTO chats (kind, name) VALUES ('group', %s) RETURNING id", name, write=True,
        )
        await self._db.execute(
            "INSERT INTO chat_members (chat_id, user_id) SELECT %s, unnest(%s::bigint[])",
            chat_id, list(member_ids),
        )
        return chat_id

    async def hide(self, chat_id: int, user_id: int) -> bool:
        return bool(await self._db.execute(
            "UPDATE chat_members SET view_chat = false WHERE chat_id = %s AND user_id = %s",
            chat_id, user_id,
        ))

    # Writing a live chat, from its room actor

    async def room(self, chat_id: int) -> Room | None:
        chat = await self._db.fetchrow(
            "SELECT kind, admin_id, message_count FROM chats WHERE id = %s", chat_id
        )
        if chat is None:
            return None
        members = await self._db.fetch(
            "SELECT user_id, seen_count FROM chat_members WHERE chat_id = %s ORDER BY user_id",
            chat_id, into=RoomMember,
        )
        return Room(chat_id, *chat, members=members)

    async def store_message(
        self, chat_id: int, sender_id: int, *, partner_id: int | None, client_id: str, content: str,
        kind: str = TEXT, payload: dict[str, Any] | None = None,
    ) -> Stored:
        """Store one message: ``store_messages`` with a batch of one."""
        draft = Draft(sender_id, client_id, content, partner_id, kind, payload)
        return (await self.store_messages(chat_id, [draft]))[0]

    async def store_messages(self, chat_id: int, drafts: Sequence[Draft]) -> list[Stored]:
        """Store messages in one statement (so one transaction and one round trip), each
        as if stored after the one before it; their outcomes, in order.

        Unless the sender used the draft's ``client_id`` before (DUPLICATE: the message
        stored then, also when the first use is earlier in this batch) or, in a
        dialogue (``partner_id``), a block stands between the two or the partner left
        (REFUSED): the message takes the chat's next number, the dialogue shows again
        for whoever hid it, and the sender has seen everything up to their own message.
        Either every message stored or, when the statement fails, none.
        """
        firsts: dict[tuple[int, str], Draft] = {}
        for draft in drafts:
            firsts.setdefault((draft.sender_id, draft.client_id), draft)
        outcomes = dict(zip(firsts, await self._store_unique(chat_id, list(firsts.values())),
                            strict=True))
        answered: set[tuple[int, str]] = set()
        results = []
        for draft in drafts:
            key = (draft.sender_id, draft.client_id)
            stored = outcomes[key]
            if key in answered and stored.outcome is Outcome.STORED:
                stored = Stored(Outcome.DUPLICATE, stored.message)  # a retry within the batch
            answered.add(key)
            results.append(stored)
        return results

    async def _store_unique(self, chat_id: int, drafts: list[Draft]) -> list[Stored]:
        """store_messages for drafts whose (sender, client_id) differ."""
        params = (chat_id, msgspec.json.encode(drafts).decode())
        try:
            rows = await self._db.fetch(_STORE_MESSAGES, *params, write=True)
        except UniqueViolation:
            # Two incarnations of a room never write at once; should it ever happen, the
            # constraint keeps the other's message, which a second try finds as a retry.
            rows = await self._db.fetch(_STORE_MESSAGES, *params, write=True)
        return [await self._stored(chat_id, draft, row)
                for draft, row in zip(drafts, rows, strict=True)]

    async def _stored(self, chat_id: int, draft: Draft, row: Sequence[Any]) -> Stored:
        outcome = Outcome(row[0])
        if outcome is Outcome.REFUSED:
            return Stored(outcome, None)
        if outcome is Outcome.DUPLICATE:
            return Stored(outcome, await self.message(row[1]))
        message_id, seq, sent_at = row[1:4]
        author = _person(row, 4)
        assert author is not None
        return Stored(outcome, Message(message_id, chat_id, seq, author, draft.content, sent_at,
                                       deleted_at=None, is_read=False, kind=draft.kind,
                                       payload=draft.payload))

    async def store_system_message(
        self, chat_id: int, *, client_id: str, content: str, payload: dict[str, Any]
    ) -> Stored:
        """Store an announcement, which no user wrote; ``client_id`` names it within the
        chat, so storing it again is a DUPLICATE answered with the first one."""
        try:
            row = await self._db.fetchrow(
                _STORE_SYSTEM_MESSAGE, chat_id, client_id, content,
                msgspec.json.encode(payload).decode(), write=True,
            )
        except UniqueViolation:
            # Should two writers ever meet, the first one stands: this is its retry.
            row = (Outcome.DUPLICATE.value, await self._db.fetchval(
                "SELECT id FROM chat_messages"
                " WHERE chat_id = %s AND sender_id IS NULL AND client_id = %s",
                chat_id, client_id,
            ))
        if row is None:
            return Stored(Outcome.REFUSED, None)  # the chat is gone
        return Stored(Outcome(row[0]), await self.message(row[1]))

    async def delete_message(self, chat_id: int, message_id: int, user_id: int) -> Deletion:
        """Turn the user's own message into a tombstone: its content goes, its place stays."""
        row = await self._db.fetchrow(
            "SELECT sender_id, deleted_at FROM chat_messages WHERE id = %s AND chat_id = %s",
            message_id, chat_id,
        )
        if row is None:
            return Deletion.NOT_FOUND
        sender_id, deleted_at = row
        if sender_id != user_id:
            return Deletion.NOT_AUTHOR
        if deleted_at is not None:
            return Deletion.ALREADY_DELETED
        await self._db.execute(
            "UPDATE chat_messages SET content = NULL, deleted_at = now()"
            " WHERE id = %s AND deleted_at IS NULL",
            message_id,
        )
        return Deletion.DELETED

    async def settle_invite(self, message_id: int, status: str) -> Message | None:
        """Move a pending invite to ``status``, once: None if it was not pending."""
        settled = await self._db.fetchval(
            "UPDATE chat_messages SET payload = jsonb_set(payload, '{status}', to_jsonb(%s::text))"
            " WHERE id = %s AND kind = 'invite' AND payload ->> 'status' = 'pending'"
            " RETURNING id",
            status, message_id, write=True,
        )
        return None if settled is None else await self.message(settled)

    async def pending_invites(self) -> list[Message]:
        rows = await self._db.fetch(
            f"SELECT {_MESSAGE_COLUMNS} FROM chat_messages m JOIN users a ON a.id = m.sender_id"
            " WHERE m.kind = 'invite' AND m.payload ->> 'status' = 'pending' ORDER BY m.id",
        )
        return [message for row in rows if (message := _message(row)) is not None]

    async def mark_seen(self, chat_id: int, user_id: int, seen_count: int) -> None:
        """The member has seen the first ``seen_count`` messages; a read never goes back."""
        await self._db.execute(
            "UPDATE chat_members SET seen_count = greatest(seen_count, %s)"
            " WHERE chat_id = %s AND user_id = %s",
            seen_count, chat_id, user_id,
        )

    async def add_member(self, chat_id: int, user_id: int) -> int:
        """Add a group member, who starts with nothing unread; returns their seen_count."""
        return await self._db.fetchval(
            "INSERT INTO chat_members (chat_id, user_id, seen_count)"
            " SELECT id, %s, message_count FROM chats WHERE id = %s"
            " ON CONFLICT (chat_id, user_id) DO UPDATE SET seen_count = chat_members.seen_count"
            " RETURNING seen_count",
            user_id, chat_id, write=True,
        )

    async def remove_member(self, chat_id: int, user_id: int) -> None:
        await self._db.execute(
            "DELETE FROM chat_members WHERE chat_id = %s AND user_id = %s", chat_id, user_id
        )

    async def delete_chat(self, chat_id: int) -> None:
        await self._db.execute("DELETE FROM chats WHERE id = %s", chat_id)


# Parameters: the chat, and its drafts as a JSON array (a Draft's fields). One row
# per draft, in order. The drafts come as JSON rather than one array per column: the
# planner guesses the same row count for any batch then, so the prepared statement
# keeps one generic plan instead of planning every batch again (half its cost).
# Data-modifying CTEs all see the snapshot the statement started with (none sees
# the others' rows), and each runs only if the one before produced a row.
_STORE_MESSAGES = """
WITH chat AS (SELECT %s::bigint AS id),
input AS (
    SELECT * FROM ROWS FROM (jsonb_to_recordset(%s::jsonb) AS (
        sender_id bigint, partner_id bigint, client_id text, content text, kind text,
        payload jsonb)) WITH ORDINALITY AS d(
        sender_id, partner_id, client_id, content, kind, payload, n)
),
checked AS (
    SELECT i.*,
        (SELECT m.id FROM chat_messages m, chat
         WHERE m.chat_id = chat.id AND m.sender_id = i.sender_id AND m.client_id = i.client_id
        ) AS earlier_id,
        EXISTS (
            SELECT FROM blocks b
            WHERE (b.blocker_id = i.sender_id AND b.blocked_id = i.partner_id)
               OR (b.blocker_id = i.partner_id AND b.blocked_id = i.sender_id)
        ) OR EXISTS (
            SELECT FROM users u WHERE u.id = i.partner_id AND u.deleted_at IS NOT NULL
        ) AS refused
    FROM input i
),
accepted AS (
    SELECT c.*, row_number() OVER (ORDER BY c.n) AS rank
    FROM checked c WHERE c.earlier_id IS NULL AND NOT c.refused
),
numbered AS (
    UPDATE chats c SET message_count = c.message_count + a.count, last_activity_at = now()
    FROM chat, (SELECT count(*) AS count FROM accepted) a
    WHERE c.id = chat.id AND a.count > 0
    RETURNING c.message_count - a.count AS seq_before
),
stored AS (
    INSERT INTO chat_messages (chat_id, seq, sender_id, client_id, content, kind, payload)
    SELECT chat.id, n.seq_before + ok.rank, ok.sender_id, ok.client_id, ok.content, ok.kind,
           ok.payload
    FROM chat, accepted ok, numbered n
    ORDER BY ok.rank  -- ids in the order of seq
    RETURNING id, seq, sent_at, sender_id
),
shown AS (
    UPDATE chat_members m SET view_chat = true,
        seen_count = coalesce(
            (SELECT max(s.seq) FROM stored s WHERE s.sender_id = m.user_id), m.seen_count)
    FROM chat
    WHERE m.chat_id = chat.id AND EXISTS (SELECT FROM stored)
      AND (NOT m.view_chat OR m.user_id IN (SELECT sender_id FROM stored))
)
SELECT CASE WHEN c.earlier_id IS NOT NULL THEN 'duplicate'
            WHEN c.refused THEN 'refused' ELSE 'stored' END,
       coalesce(c.earlier_id, s.id), s.seq, s.sent_at, {author}
FROM checked c
LEFT JOIN accepted ok ON ok.n = c.n
LEFT JOIN numbered n ON true
LEFT JOIN stored s ON s.seq = n.seq_before + ok.rank
LEFT JOIN users a ON a.id = s.sender_id
ORDER BY c.n
""".format(author=_person_columns("a"))


# Parameters: chat, client_id, content, payload (JSON text). As _STORE_MESSAGES, less
# the sender, the blocks and the hidden dialogues: a system message goes to a group.
_STORE_SYSTEM_MESSAGE = """
WITH input AS (
    SELECT %s::bigint AS chat_id, %s::text AS client_id, %s::text AS content,
           %s::jsonb AS payload
),
earlier AS (
    SELECT m.id FROM chat_messages m, input i
    WHERE m.chat_id = i.chat_id AND m.sender_id IS NULL AND m.client_id = i.client_id
),
numbered AS (
    UPDATE chats c SET message_count = c.message_count + 1, last_activity_at = now()
    FROM input i
    WHERE c.id = i.chat_id AND NOT EXISTS (SELECT FROM earlier)
    RETURNING c.message_count AS seq
),
stored AS (
    INSERT INTO chat_messages (chat_id, seq, sender_id, client_id, content, kind, payload)
    SELECT i.chat_id, n.seq, NULL, i.client_id, i.content, 'system', i.payload
    FROM input i, numbered n
    RETURNING id
)
SELECT 'stored', id FROM stored
UNION ALL SELECT 'duplicate', id FROM earlier
"""
