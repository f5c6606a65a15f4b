"""``/api/chat/world/``: the world chat, one public room (issue 18, point 7).

Everyone signed in reads its history, guests included; registered users post
to it under the chat rules (1–2000 characters once trimmed, a flood limit per
sender), by REST or by the user socket's ``send_message`` with its chat id.
Hearing it live is a choice: ``POST /api/chat/world/members/me/``
joins (kept across sessions), ``DELETE`` leaves. Whoever blocked someone does
not see that person's messages here, in the history or live. docs/WORLD_CHAT.md
says it for clients.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, make_response, request
from quart_schema import validate_querystring, validate_request, validate_response

from courtside.actors import Posted
from courtside.persistence import Chats, User
from courtside.persistence.world_chat import WorldChatMembers
from courtside.protocol import Forbidden, NotFound

from ..auth.identity import current_user
from ..pagination import ScrollQuery, paginated
from ..responses import Shown, fails_with, no_content
from ..services import services
from .instances import MessageInstance, MessagePage, message_instance
from .messages import NewMessage, content_of

blueprint = Blueprint("world_chat", __name__, url_prefix="/world")

WORLD = "world"


class WorldChatInstance(Shown):
    """The world chat as the caller sees it; ``id`` is the ``chat_id`` its events carry."""

    id: int
    type: str
    name: str
    members_count: int  # how many joined: who hear it live
    is_member: bool  # whether the caller joined


async def _instance(caller: User) -> WorldChatInstance:
    svc = services()
    members = WorldChatMembers(svc.database)
    return WorldChatInstance(
        svc.world_chat.chat_id, WORLD, svc.world_chat.name,
        members_count=await members.count(), is_member=await members.is_member(caller.id),
    )


@blueprint.get("/")
@validate_response(WorldChatInstance)
async def show_world_chat() -> WorldChatInstance:
    return await _instance(current_user())


@blueprint.get("/messages/")
@validate_querystring(ScrollQuery)
@validate_response(MessagePage)
async def list_world_messages(query_args: ScrollQuery) -> dict[str, Any]:
    """Newest first, less the messages of people the caller blocked; ``before=<message
    id>`` pages back from a message, stable as new ones come."""
    svc = services()
    count, messages = await Chats(svc.database).messages(
        svc.world_chat.chat_id, before=query_args.before, limit=query_args.limit,
        offset=query_args.offset, hidden_from=current_user().id,
    )
    return paginated(request.url, query_args.page, count,
                     [message_instance(message, svc.avatars) for message in messages])


@blueprint.post("/messages/")
@validate_request(NewMessage)
@validate_response(MessageInstance, 201)
@validate_response(MessageInstance, 200)
async def post_world_message(data: NewMessage) -> tuple[dict[str, Any], int]:
    """201 with the message stored; 200 with the one stored before for a client_id used already."""
    content = content_of(data)
    posted = await post_to_world(current_user(), content, data.client_id)
    return message_instance(posted.message, services().avatars), 200 if posted.retried else 201


async def post_to_world(sender: User, content: str, client_id: str | None) -> Posted:
    """Post ``content`` (``clean_content``'d) as ``sender``; REST and the user socket's
    ``send_message`` both come here. Guests are refused."""
    if sender.is_guest:
        raise Forbidden("Guests may read the world chat; register the account to post in it.",
                        code="guest_account")
    return await services().world_chat.post(sender.id, content, client_id)


@blueprint.delete("/messages/<int:message_id>/")
@no_content("Deleted: a tombstone keeps its place")
async def delete_world_message(message_id: int) -> Response:
    """Delete one's own message: a tombstone keeps its place."""
    await services().world_chat.delete_message(current_user().id, message_id)
    return await make_response("", 204)


@blueprint.post("/members/me/")
@validate_response(WorldChatInstance, 201)
@validate_response(WorldChatInstance, 200)
async def join_world_chat() -> tuple[WorldChatInstance, int]:
    """Hear the world chat live: 201, or 200 if the caller had joined already."""
    caller = current_user()
    joined = await services().world_chat.join(caller.id)
    return await _instance(caller), 201 if joined else 200


@blueprint.delete("/members/me/")
@no_content("Left: the caller no longer hears it live")
@fails_with(404)
async def leave_world_chat() -> Response:
    if not await services().world_chat.leave(current_user().id):
        raise NotFound("You have not joined the world chat.")
    return await make_response("", 204)
