"""``/api/play/invites/``: invite a user to play, in your dialogue (DESIGN.md §8).

``POST /`` ``{user_id, match_type: 1v1|3v3|clash}`` posts the invitation in the
pair's dialogue (opened if need be, by the rules of opening one) and tells the
invitee ``invite-<match_type>``; ``POST <id>/accept/`` and ``<id>/decline/`` answer
it; ``DELETE <id>/`` cancels it. The invitations actor decides the rest (who is
busy, what accepting starts, expiry): see ``courtside.actors.invitations``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import msgspec
from quart import Blueprint, Response, make_response
from quart_schema import validate_request, validate_response

from courtside.actors.invitations import (
    INVITATIONS,
    AcceptInvite,
    CancelInvite,
    DeclineInvite,
    MatchType,
    SendInvite,
    not_found,
)
from courtside.actors.registry import ask_named
from courtside.persistence import Chats, DialogueExists, Social, User, Users
from courtside.protocol import Forbidden, ServiceUnavailable
from courtside.protocol.user_messages import MAX_ID, RowId

from ..auth.identity import current_user
from ..chat.rules import check_chat_partner, guests_cannot_chat, user_not_found
from ..responses import Shown, fails_with, no_content
from ..services import services
from .instances import LobbyParticipant
from .people import caller_as_person

blueprint = Blueprint("invites", __name__, url_prefix="/api/play/invites")

REQUEST_TIMEOUT = 10.0  # an invitation waits on its chat room, or on a match starting


class NewInvite(msgspec.Struct, frozen=True):
    user_id: RowId
    match_type: MatchType


class InvitedMatch(Shown):
    code: str
    game_mode: str
    ws_url: str  # where both play it


class InviteInstance(Shown):
    """An invitation to play; once accepted, the ``match`` it started or the ``lobby``
    seat it gave (an invitation into the inviter's lobby)."""

    id: int  # its chat message's
    chat_id: int
    match_type: MatchType
    status: Literal["pending", "accepted", "declined", "expired", "cancelled"]
    inviter_id: int
    invitee_id: int
    code: str | None  # the inviter's lobby, when it invites there
    expires_at: datetime
    match: InvitedMatch | msgspec.UnsetType = msgspec.UNSET
    lobby: LobbyParticipant | msgspec.UnsetType = msgspec.UNSET


@blueprint.post("/")
@validate_request(NewInvite)
@validate_response(InviteInstance, 201)
@fails_with(404, 409)
async def send_invite(data: NewInvite) -> tuple[dict[str, Any], int]:
    caller = current_user()
    if caller.is_guest:
        raise guests_cannot_chat()
    if data.user_id == caller.id:
        raise Forbidden("You cannot invite yourself.", code="invite_self")
    chat_id = await _dialogue_with(caller, data.user_id)
    invite = await _ask(functools.partial(SendInvite, caller_as_person(), data.user_id, chat_id, data.match_type))
    return invite, 201


@blueprint.post("/<int:invite_id>/accept/")
@validate_response(InviteInstance)
@fails_with(409)
async def accept_invite(invite_id: int) -> dict[str, Any]:
    caller = current_user()
    blocked_by = frozenset(await Social(services().database).blocker_ids(caller.id))
    return await _ask(functools.partial(AcceptInvite, _id(invite_id), caller_as_person(), blocked_by))


@blueprint.post("/<int:invite_id>/decline/")
@validate_response(InviteInstance)
@fails_with(409)
async def decline_invite(invite_id: int) -> dict[str, Any]:
    return await _ask(functools.partial(DeclineInvite, _id(invite_id), current_user().id))


@blueprint.delete("/<int:invite_id>/")
@no_content("Cancelled by the inviter")
@fails_with(409)
async def cancel_invite(invite_id: int) -> Response:
    await _ask(functools.partial(CancelInvite, _id(invite_id), current_user().id))
    return await make_response("", 204)


async def _dialogue_with(caller: User, user_id: int) -> int:
    """The pair's dialogue: an existing one takes the invitation unless a block
    stands; a new one opens only where ``POST /api/chat/`` would open it."""
    async with services().database.transaction() as tx:
        other = await Users(tx).get(user_id)
        if other is None:
            raise user_not_found()
        social, chats = Social(tx), Chats(tx)
        # Serialised with blocks between the two: a block made meanwhile is seen.
        await social.lock_users(caller.id, other.id)
        relationship = await social.relationship(caller.id, other.id)
        chat_id = await chats.dialogue_between(caller.id, other.id)
        if chat_id is None:
            check_chat_partner(caller, other, relationship)
            try:
                return await chats.create_dialogue(caller.id, other.id)
            except DialogueExists:
                pass  # cannot happen under the lock; read it back if it does
        elif relationship.blocked_by:
            raise user_not_found()
        elif relationship.block_id is not None:
            raise Forbidden("You have blocked this user.", code="user_blocked")
        return await chats.dialogue_between(caller.id, other.id)


def _id(invite_id: int) -> int:
    if invite_id > MAX_ID:
        raise not_found()
    return invite_id


async def _ask(make_message: Callable[..., Any]) -> Any:
    return await ask_named(
        services().bus.find, INVITATIONS, make_message, timeout=REQUEST_TIMEOUT,
        missing=ServiceUnavailable("Invitations are restarting; try again.", code="invitations_busy"),
        busy=ServiceUnavailable("Invitations are busy; try again.", code="invitations_busy"),
    )
