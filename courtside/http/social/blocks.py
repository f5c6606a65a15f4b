"""/api/users/me/blocked/: block a user (ending every tie with them), list, unblock."""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Blueprint, Response, make_response, request
from quart_schema import validate_querystring, validate_request, validate_response

from courtside.actors.invitations import cancel_invites_between
from courtside.persistence import Social, UniqueViolation, Users
from courtside.protocol import Conflict, Forbidden, NotFound

from ..auth.identity import current_user
from ..pagination import PageQuery, paginated
from ..responses import fails_with, no_content, page_of
from ..services import services
from . import events
from .instances import BlockedInstance, Instances
from .rules import check_block, user_not_found

blueprint = Blueprint("blocks", __name__, url_prefix="/blocked")


class BlockBody(msgspec.Struct, frozen=True):
    user_id: int


@blueprint.get("/")
@validate_querystring(PageQuery)
@validate_response(page_of(BlockedInstance))
async def blocked_users(query_args: PageQuery) -> dict[str, Any]:
    page = query_args.page
    count, blocks = await Social(services().database).blocks(
        current_user().id, limit=page.limit, offset=page.offset
    )
    instances = await Instances.of(block.blocked for block in blocks)
    return paginated(request.url, page, count, [instances.blocked(block) for block in blocks])


@blueprint.post("/")
@validate_request(BlockBody)
@validate_response(BlockedInstance, 201)
@fails_with(404, 409)
async def block_user(data: BlockBody) -> tuple[dict[str, Any], int]:
    """Block a registered user: friendship, pending requests and invitations to play,
    either way, end with it."""
    caller = current_user()
    if data.user_id == caller.id:
        raise Forbidden("You cannot block yourself.", code="block_self")
    try:
        async with services().database.transaction() as tx:
            target = await Users(tx).get(data.user_id)
            # Guests cannot be blocked (the reference): they are passing accounts.
            if target is None or target.is_guest:
                raise user_not_found()
            social = Social(tx)
            if await social.lock_users(caller.id, target.id) != {caller.id, target.id}:
                raise user_not_found()
            check_block(await social.relationship(caller.id, target.id),
                        await social.block_count(caller.id))
            block = await social.block(caller.id, target.id)
            severed = await social.sever(caller.id, target.id)
    except UniqueViolation:
        raise Conflict("You have already blocked this user.", code="already_blocked") from None
    events.blocked(severed, caller.id)
    await cancel_invites_between(services().bus, caller.id, target.id)
    return (await Instances.of([block.blocked])).blocked(block), 201


@blueprint.delete("/<int:block_id>/")
@no_content("Unblocked")
async def unblock_user(block_id: int) -> Response:
    if not await Social(services().database).unblock(block_id, current_user().id):
        raise NotFound("Block not found.")
    return await make_response("", 204)
