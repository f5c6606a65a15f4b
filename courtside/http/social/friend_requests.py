"""/api/users/me/friend_requests/: send, list, read, accept, reject or cancel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from quart import Blueprint, Response, make_response, request
from quart_schema import document_response, validate_querystring, validate_request, validate_response

from courtside.persistence import FriendRequest, Friendship, Social, UniqueViolation, Users
from courtside.protocol import Conflict, Forbidden, NotFound

from ..auth.identity import current_user
from ..pagination import Page, PageQuery, paginated
from ..responses import fails_with, no_content, page_of
from ..services import services
from . import events
from .instances import FriendInstance, FriendRequestInstance, Instances
from .rules import Befriending, befriending, user_not_found

blueprint = Blueprint("friend_requests", __name__, url_prefix="/friend_requests")


class FriendRequestBody(msgspec.Struct, frozen=True):
    username: str


def _request_not_found() -> NotFound:
    return NotFound("Friend request not found.")


def _already_related() -> Conflict:
    # Only a race the row locks did not foresee can reach a unique constraint.
    return Conflict("A friend request or friendship already exists.", code="conflict")


async def _befriend(
    social: Social, request_id: int, receiver_id: int
) -> tuple[Friendship, Friendship]:
    """Accept the request; the friendship as the receiver and as the sender see it."""
    friendship_id = await social.accept_request(request_id, receiver_id)
    if friendship_id is None:
        raise _request_not_found()
    mine = await social.friendship(friendship_id, receiver_id)
    theirs = await social.friendship(friendship_id, mine.friend.id)
    return mine, theirs


async def _accepted(mine: Friendship, theirs: Friendship) -> tuple[dict[str, Any], int]:
    """After the commit: tell the sender, and answer the receiver with their view."""
    instances = await Instances.of([mine.friend, theirs.friend])
    events.request_accepted(mine.friend.id, instances.friend(theirs), theirs.friend.username)
    return instances.friend(mine), 201


@blueprint.get("/")
@validate_querystring(PageQuery)
@validate_response(page_of(FriendRequestInstance))
async def sent_friend_requests(query_args: PageQuery) -> dict[str, Any]:
    """The caller's pending sent requests, newest first (``received/`` lists the others)."""
    return await _requests_page(Social(services().database).sent_requests, query_args.page)


@blueprint.get("/received/")
@validate_querystring(PageQuery)
@validate_response(page_of(FriendRequestInstance))
async def received_friend_requests(query_args: PageQuery) -> dict[str, Any]:
    return await _requests_page(Social(services().database).received_requests, query_args.page)


async def _requests_page(
    requests_of: Callable[..., Awaitable[tuple[int, list[FriendRequest]]]], page: Page,
) -> dict[str, Any]:
    """One page of the caller's pending requests, as ``requests_of`` lists them."""
    count, requests = await requests_of(current_user().id, limit=page.limit, offset=page.offset)
    instances = await Instances.of(p for r in requests for p in (r.sender, r.receiver))
    return paginated(request.url, page, count, [instances.friend_request(r) for r in requests])


@blueprint.post("/")
@validate_request(FriendRequestBody)
@document_response(FriendRequestInstance | FriendInstance, 201)
@fails_with(404, 409)
async def send_friend_request(
    data: FriendRequestBody,
) -> tuple[FriendRequestInstance | FriendInstance, int]:
    """Ask ``username`` to be friends; if they already asked the caller, accept instead.

    201 with the request, or 201 with the friendship when it accepted.
    """
    caller = current_user()
    if caller.is_guest:
        raise Forbidden("Guests cannot send friend requests; register the account first.",
                        code="guest_account")
    try:
        async with services().database.transaction() as tx:
            receiver = await Users(tx).by_username(data.username)
            if receiver is None or receiver.is_guest:
                raise user_not_found()
            if receiver.id == caller.id:
                raise Forbidden("You cannot send a friend request to yourself.",
                                code="friend_request_to_self")
            social = Social(tx)
            if await social.lock_users(caller.id, receiver.id) != {caller.id, receiver.id}:
                raise user_not_found()
            relationship = await social.relationship(caller.id, receiver.id)
            outcome = befriending(receiver, relationship, await social.pending_sent(caller.id))
            if outcome is Befriending.ACCEPT:
                mine, theirs = await _befriend(social, relationship.received_request_id, caller.id)
            else:
                sent = await social.send_request(caller.id, receiver.id)
    except UniqueViolation:
        raise _already_related() from None
    if outcome is Befriending.ACCEPT:
        friendship, status = await _accepted(mine, theirs)
        return msgspec.convert(friendship, FriendInstance), status
    instances = await Instances.of([sent.sender, sent.receiver])
    body = instances.friend_request(sent)
    events.request_received(receiver.id, body, caller.username)
    return msgspec.convert(body, FriendRequestInstance), 201


@blueprint.get("/<int:request_id>/")
@validate_response(FriendRequestInstance)
async def friend_request(request_id: int) -> dict[str, Any]:
    found = await Social(services().database).friend_request(request_id, current_user().id)
    if found is None:
        raise _request_not_found()
    return (await Instances.of([found.sender, found.receiver])).friend_request(found)


@blueprint.post("/<int:request_id>/")
@validate_response(FriendInstance, 201)
@fails_with(409)
async def accept_friend_request(request_id: int) -> tuple[dict[str, Any], int]:
    caller = current_user()
    try:
        async with services().database.transaction() as tx:
            social = Social(tx)
            found = await social.friend_request(request_id, caller.id)
            if found is None:
                raise _request_not_found()
            if found.sender.id == caller.id:
                raise Forbidden("Only the receiver can accept a friend request.",
                                code="own_friend_request")
            await social.lock_users(found.sender.id, caller.id)
            mine, theirs = await _befriend(social, request_id, caller.id)
    except UniqueViolation:
        raise _already_related() from None
    return await _accepted(mine, theirs)


@blueprint.delete("/<int:request_id>/")
@no_content("Cancelled (by the sender) or rejected (by the receiver)")
async def withdraw_friend_request(request_id: int) -> Response:
    """The sender cancels, the receiver rejects; the other side is told which."""
    caller = current_user()
    withdrawn = await Social(services().database).withdraw_request(request_id, caller.id)
    if withdrawn is None:
        raise _request_not_found()
    if withdrawn.sender_id == caller.id:
        events.request_cancelled(withdrawn)
    else:
        events.request_rejected(withdrawn)
    return await make_response("", 204)
