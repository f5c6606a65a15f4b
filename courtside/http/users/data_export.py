"""The sections of ``GET /api/users/me/download-data/``: everything we hold on a user.

Each section shows the records as the endpoint that serves them does, whole
rather than paged. A chat is the ChatInstance with ``messages`` (every message
the user wrote there, tombstones included) in place of ``last_message``, as the
reference asks; the world chat, where the user wrote in it, is its id, type,
name and those messages.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import msgspec

from courtside.persistence import Chats, Message, Social
from courtside.persistence.match_history import MatchHistory
from courtside.persistence.tournaments import Tournaments

from ..chat.instances import ChatInstances, message_instance
from ..play.history import match_records
from ..services import services
from ..social import Instances


async def social_export(user_id: int) -> dict[str, list[dict[str, Any]]]:
    social = Social(services().database)
    _, friendships = await social.friends(user_id, online_ids=[], limit=None, offset=0)
    _, sent = await social.sent_requests(user_id, limit=None, offset=0)
    _, received = await social.received_requests(user_id, limit=None, offset=0)
    _, blocks = await social.blocks(user_id, limit=None, offset=0)
    instances = await Instances.of(
        [f.friend for f in friendships] + [b.blocked for b in blocks]
        + [person for r in sent + received for person in (r.sender, r.receiver)]
    )
    return {
        "friends": [instances.friend(f) for f in friendships],
        "friend_requests_sent": [instances.friend_request(r) for r in sent],
        "friend_requests_received": [instances.friend_request(r) for r in received],
        "blocked_users": [instances.blocked(b) for b in blocks],
    }


async def trophy_history_export(user_id: int) -> list[dict[str, Any]]:
    """The whole of ``GET /api/users/me/stats/ranked/``."""
    _, trophies = await MatchHistory(services().database).trophy_history(
        user_id, limit=None, offset=0
    )
    return msgspec.to_builtins(trophies)


async def chat_export(user_id: int) -> list[dict[str, Any]]:
    chats = Chats(services().database)
    written: defaultdict[int, list[Message]] = defaultdict(list)
    for message in await chats.messages_by(user_id):
        written[message.chat_id].append(message)
    every_chat = await chats.every_chat(user_id)
    instances = await ChatInstances.of(chat.partner for chat in every_chat if chat.partner)
    avatars = services().avatars
    exported = []
    for chat in every_chat:
        instance = instances.chat(chat)
        del instance["last_message"]
        instance["messages"] = [message_instance(m, avatars) for m in written[chat.id]]
        exported.append(instance)
    world = services().world_chat  # no member list holds it: there if the user wrote there
    if world.chat_id in written:
        exported.append({"id": world.chat_id, "type": "world", "name": world.name, "messages": [
            message_instance(m, avatars) for m in written[world.chat_id]
        ]})
    return exported


async def game_export(user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every match, as the match history shows it, and every tournament played."""
    database = services().database
    _, lines = await MatchHistory(database).of_user(user_id, limit=None, offset=0)
    _, tournaments = await Tournaments(database).history(user_id, limit=None, offset=0)
    return {
        "matches": await match_records(lines),
        "tournament": msgspec.to_builtins(tournaments),
    }
