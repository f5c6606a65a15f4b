"""Chats under /api/chat/: dialogues and groups, their messages and members (DESIGN.md §9)."""

from quart import Blueprint

from . import chats, members, messages
from .instances import message_instance

blueprint = Blueprint("chat", __name__, url_prefix="/api/chat")
for part in (chats.blueprint, messages.blueprint, members.blueprint):
    blueprint.register_blueprint(part)

__all__ = ["blueprint", "message_instance"]
