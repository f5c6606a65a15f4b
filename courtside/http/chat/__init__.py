"""Chats under /api/chat/: dialogues and groups, their messages and members (DESIGN.md §9),
and the world chat (``world``)."""

from typing import Any

from quart import Blueprint

from courtside.actors import NotChatMember
from courtside.protocol import NotFound
from courtside.protocol.user_messages import MAX_ID

from . import chats, members, messages, world
from .instances import message_instance
from .world import post_to_world

blueprint = Blueprint("chat", __name__, url_prefix="/api/chat")
for part in (chats.blueprint, messages.blueprint, members.blueprint, world.blueprint):
    blueprint.register_blueprint(part)


@blueprint.url_value_preprocessor
def _ids_within_bigint(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id past a bigint names no row; it is refused before PostgreSQL sees it."""
    for name, value in (values or {}).items():
        if isinstance(value, int) and value > MAX_ID:
            raise NotChatMember() if name == "chat_id" else NotFound()

__all__ = ["blueprint", "message_instance", "post_to_world"]
