"""``/api/chat/`` and ``/api/chat/<id>/``: list, open, show, hide or leave chats.

POST opens a dialogue (``username``) or a group (``name`` and ``members``, user
ids). DELETE hides a dialogue for the caller (a new message shows it again),
deletes a group when its admin asks, and takes any other member out of it.
A chat the caller is not in answers 403, whether or not it exists.
"""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Blueprint, Response, make_response, request
from quart_schema import validate_querystring, validate_request, validate_response

from courtside.actors import MAX_GROUP_MEMBERS, NotChatMember
from courtside.persistence import Chat, Chats, DialogueExists, Social, User, Users
from courtside.protocol import ApiError, Conflict, ValidationFailed
from courtside.protocol.user_messages import RowId

from ..auth.identity import current_user
from ..pagination import PageQuery, paginated
from ..responses import fails_with, no_content, page_of
from ..services import services
from .instances import ChatDetail, ChatInstance, ChatInstances
from .rules import check_chat_partner, group_name, guests_cannot_chat

blueprint = Blueprint("chats", __name__)


class NewChat(msgspec.Struct, frozen=True):
    """A dialogue with ``username``, or a group called ``name`` with ``members``."""

    username: str | None = None
    name: str | None = None
    members: list[RowId] = []


class ChatsQuery(PageQuery, frozen=True):
    q: str = ""  # in the partner's names or the group's name


@blueprint.get("/")
@validate_querystring(ChatsQuery)
@validate_response(page_of(ChatInstance))
async def list_chats(query_args: ChatsQuery) -> dict[str, Any]:
    page = query_args.page
    query = query_args.q.strip() or None
    count, chats = await Chats(services().database).chats(
        current_user().id, query=query, limit=page.limit, offset=page.offset
    )
    instances = await ChatInstances.of(chat.partner for chat in chats if chat.partner)
    return paginated(request.url, page, count, [instances.chat(chat) for chat in chats])


@blueprint.post("/")
@validate_request(NewChat)
@validate_response(ChatDetail, 201)
@fails_with(404, 409)
async def open_chat(data: NewChat) -> tuple[dict[str, Any], int]:
    caller = current_user()
    if caller.is_guest:
        raise guests_cannot_chat()
    if data.username is not None and data.name is None and not data.members:
        chat_id = await _open_dialogue(caller, data.username)
    elif data.name is not None and data.username is None:
        chat_id = await _open_group(caller, group_name(data.name), data.members)
    else:
        raise ValidationFailed(
            "Give a username for a dialogue, or a name and members for a group.",
            errors={"non_field_errors": [
                "Give either 'username', or 'name' and 'members'."
            ]},
        )
    return await _detail(await _chat_of(chat_id, caller)), 201


async def _open_dialogue(caller: User, username: str) -> int:
    async with services().database.transaction() as tx:
        other = await Users(tx).by_username(username)
        relationship = None
        if other is not None:
            # Serialised with blocks between the two: a block made meanwhile is seen.
            social = Social(tx)
            await social.lock_users(caller.id, other.id)
            relationship = await social.relationship(caller.id, other.id)
        other = check_chat_partner(caller, other, relationship)
        try:
            return await Chats(tx).create_dialogue(caller.id, other.id)
        except DialogueExists:
            raise Conflict("You already have a dialogue with this user.",
                           code="dialogue_exists") from None


async def _open_group(caller: User, name: str, member_ids: list[int]) -> int:
    others = sorted(set(member_ids) - {caller.id})
    if len(others) + 1 > MAX_GROUP_MEMBERS:
        raise ValidationFailed(errors={"members": [
            f"A group has at most {MAX_GROUP_MEMBERS} members, its admin included."
        ]})
    async with services().database.transaction() as tx:
        users, social = Users(tx), Social(tx)
        await social.lock_users(caller.id, *others)
        relationships = await social.relationships(caller.id, others)
        refusals = []
        for user_id in others:
            try:
                check_chat_partner(caller, await users.get(user_id), relationships.get(user_id))
            except ApiError as refusal:
                refusals.append(f"User {user_id}: {refusal.detail}")
        if refusals:
            raise ValidationFailed("Some members cannot be added.", errors={"members": refusals})
        return await Chats(tx).create_group(name, caller.id, others)


@blueprint.get("/<int:chat_id>/")
@validate_response(ChatDetail)
@fails_with(403)
async def show_chat(chat_id: int) -> dict[str, Any]:
    return await _detail(await _chat_of(chat_id, current_user()))


@blueprint.delete("/<int:chat_id>/")
@no_content("Hidden (a dialogue), deleted (a group, by its admin) or left")
async def hide_or_leave_chat(chat_id: int) -> Response:
    caller = current_user()
    chat = await _chat_of(chat_id, caller)
    svc = services()
    if not chat.is_group:
        await Chats(svc.database).hide(chat.id, caller.id)
    elif chat.admin_id == caller.id:
        await svc.chat_rooms.delete_chat(chat.id, caller.id)
    else:
        await svc.chat_rooms.remove_member(chat.id, caller.id, caller.id)
    return await make_response("", 204)


async def _chat_of(chat_id: int, caller: User) -> Chat:
    chat = await Chats(services().database).chat(chat_id, caller.id)
    if chat is None:
        raise NotChatMember()
    return chat


async def _detail(chat: Chat) -> dict[str, Any]:
    members = await Chats(services().database).members(chat.id)
    instances = await ChatInstances.of(members)
    return instances.chat_with_members(chat, members)
