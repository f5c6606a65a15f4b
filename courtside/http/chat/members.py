"""``/api/chat/<id>/members/<user_id>/``: a group's admin adds and removes members.

Adding answers 201 with the new member, or 200 if they were one already (as the
reference's invite); the person added must accept chats from the admin, as for a
dialogue. Removing answers 204; a member leaves with ``DELETE /api/chat/<id>/``
(or here, with their own id).
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, make_response
from quart_schema import validate_response

from courtside.actors import NotChatMember
from courtside.persistence import Chats, Person, Social, Users
from courtside.protocol import Forbidden

from ..auth.identity import current_user
from ..responses import no_content
from ..services import services
from ..social.instances import UserInstance
from .instances import ChatInstances
from .rules import check_chat_partner

blueprint = Blueprint("chat_members", __name__)


@blueprint.post("/<int:chat_id>/members/<int:user_id>/")
@validate_response(UserInstance, 201)
@validate_response(UserInstance, 200)
async def add_member(chat_id: int, user_id: int) -> tuple[dict[str, Any], int]:
    caller = current_user()
    svc = services()
    # Who may add comes first: a stranger to the group learns nothing of the person.
    chat = await Chats(svc.database).chat(chat_id, caller.id)
    if chat is None:
        raise NotChatMember()
    if not chat.is_group or chat.admin_id != caller.id:
        raise Forbidden("Only a group's admin may add members.", code="not_chat_admin")
    member = check_chat_partner(caller, await Users(svc.database).get(user_id),
                                await Social(svc.database).relationship(caller.id, user_id))
    added = await svc.chat_rooms.add_member(chat_id, caller.id, member.id)
    person = Person(member.id, member.username, member.nickname, member.is_guest,
                    member.avatar, member.last_online)
    return (await ChatInstances.of([person])).user(person), 201 if added else 200


@blueprint.delete("/<int:chat_id>/members/<int:user_id>/")
@no_content("Removed from the group")
async def remove_member(chat_id: int, user_id: int) -> Response:
    await services().chat_rooms.remove_member(chat_id, current_user().id, user_id)
    return await make_response("", 204)
