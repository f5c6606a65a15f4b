"""A chat's messages: ``/api/chat/<id>/messages/``, one message, and ``read/``.

Reading goes to the database; sending, deleting and marking read go through the
chat's room, which stores and then tells every member. A post may carry a
``client_id``: sending it again answers 200 with the message stored the first
time instead of storing a second one.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from quart import Blueprint, Response, make_response, request
from quart_schema import document_request, validate_querystring, validate_request, validate_response

from courtside.actors import InvalidContent, NotChatMember, Unread, clean_content
from courtside.persistence import Chats
from courtside.protocol import ValidationFailed
from courtside.protocol.user_messages import ClientId

from ..auth.identity import current_user
from ..bodies import optional_body
from ..pagination import ScrollQuery, paginated
from ..responses import fails_with, no_content
from ..services import services
from .instances import MessageInstance, MessagePage, message_instance

blueprint = Blueprint("chat_messages", __name__)

class NewMessage(msgspec.Struct, frozen=True):
    content: str
    client_id: ClientId | None = None


class MessagesSeen(msgspec.Struct, frozen=True):
    """Omitted: everything in the chat so far has been seen."""

    seen_messages: Annotated[int, msgspec.Meta(ge=0)] | None = None


@blueprint.get("/<int:chat_id>/messages/")
@validate_querystring(ScrollQuery)
@validate_response(MessagePage)
@fails_with(403)
async def list_messages(chat_id: int, query_args: ScrollQuery) -> dict[str, Any]:
    """Newest first; ``before=<message id>`` pages back from a message, stable as new ones come."""
    page, before = query_args.page, query_args.before
    svc = services()
    chats = Chats(svc.database)
    if not await chats.is_member(chat_id, current_user().id):
        raise NotChatMember()
    count, messages = await chats.messages(
        chat_id, before=before, limit=page.limit, offset=page.offset
    )
    return paginated(request.url, page, count,
                     [message_instance(message, svc.avatars) for message in messages])


def content_of(message: NewMessage) -> str:
    """The message's content as stored (``clean_content``), or the 400 that says why not."""
    try:
        return clean_content(message.content)
    except InvalidContent as invalid:
        raise ValidationFailed(errors={"content": [str(invalid)]}) from None


@blueprint.post("/<int:chat_id>/messages/")
@validate_request(NewMessage)
@validate_response(MessageInstance, 201)
@validate_response(MessageInstance, 200)
async def post_message(chat_id: int, data: NewMessage) -> tuple[dict[str, Any], int]:
    content = content_of(data)
    svc = services()
    posted = await svc.chat_rooms.post(chat_id, current_user().id, content, data.client_id)
    return message_instance(posted.message, svc.avatars), 200 if posted.retried else 201


@blueprint.delete("/<int:chat_id>/messages/<int:message_id>/")
@no_content("Deleted: a tombstone keeps its place")
async def delete_message(chat_id: int, message_id: int) -> Response:
    """Delete one's own message: a tombstone keeps its place."""
    await services().chat_rooms.delete_message(chat_id, current_user().id, message_id)
    return await make_response("", 204)


@blueprint.post("/<int:chat_id>/read/")
@document_request(MessagesSeen)
@validate_response(Unread)
async def mark_read(chat_id: int) -> Unread:
    """Mark the chat read (all of it, or its first ``seen_messages``); the unread state after."""
    seen = await optional_body(MessagesSeen)
    return await services().chat_rooms.checked(chat_id, current_user().id, seen.seen_messages)
