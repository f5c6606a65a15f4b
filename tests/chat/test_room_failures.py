"""A chat room that dies mid-conversation: nothing stored is lost, and the chat goes on."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import pytest

from courtside.persistence.chats import Chats, Draft, Stored
from courtside.server.node import Node
from tests.accounts import make_user
from tests.live.conftest import user_socket

from .conversation import messages, open_dialogue
from .live import ChatClient


class RoomKilled(Exception):
    pass


async def test_killing_a_room_mid_conversation_loses_no_message(
    client: httpx.AsyncClient, node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = await make_user(client, "alice")
    bob = await make_user(client, "bob")
    chat_id = await open_dialogue(client, alice, bob)
    store = Chats.store_messages
    kills = []

    async def store_then_die_once(
        self: Chats, chat_id: int, drafts: Sequence[Draft]
    ) -> list[Stored]:
        """The worst moment to die: the message is committed, nobody has heard of it."""
        stored = await store(self, chat_id, drafts)
        last_words = [s for d, s in zip(drafts, stored) if d.content == "the last words"]
        if last_words and not kills:
            kills.append(last_words[0])
            raise RoomKilled()
        return stored

    monkeypatch.setattr(Chats, "store_messages", store_then_die_once)
    async with user_socket(node, alice) as alices, user_socket(node, bob) as bobs:
        alice_chat, bob_chat = ChatClient(alices), ChatClient(bobs)
        before = await alice_chat.send(chat_id, "before", "k-1")
        # The room dies after storing; the send is retried on its successor, which
        # answers with the stored message instead of storing it again.
        dying = await alice_chat.send(chat_id, "the last words", "k-2")
        assert dying["type"] == "message_sent"
        assert dying["message"]["id"] == kills[0].message.id
        after = await alice_chat.send(chat_id, "after", "k-3")
        assert node.services.supervisor.restarts == 1

        heard = await bob_chat.everything_until_now(node, bob)
        assert [(event.name, event.data.get("id")) for event in heard] == [
            ("receive-message", before["message"]["id"]), ("unread_messages", None),
            ("receive-message", after["message"]["id"]), ("unread_messages", None),
        ]
        # The restarted room counted from the database: the lost event's message counts.
        assert heard[-1].data == {"chat_id": chat_id, "amount_unseen": 3, "amount_total": 3}
    stored = await messages(client, bob, chat_id)
    assert [m["content"] for m in reversed(stored)] == ["before", "the last words", "after"]
