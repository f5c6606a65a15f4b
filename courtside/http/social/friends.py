"""/api/users/me/friends/: the caller's friends, online first, and ending a friendship."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, make_response, request

from courtside.persistence import Social
from courtside.protocol import NotFound

from ..auth.identity import current_user
from ..pagination import page_from, paginated
from ..services import services
from . import events
from .instances import Instances

blueprint = Blueprint("friends", __name__, url_prefix="/friends")


@blueprint.get("/")
async def friends() -> dict[str, Any]:
    """Friends online first, then by username; each with the pair's head-to-head record."""
    page = page_from(request.args)
    caller = current_user()
    svc = services()
    social = Social(svc.database)
    # Presence of every friend, not only this page's: the order depends on it.
    presence = await svc.bus.presence(await social.friend_ids(caller.id))
    online_ids = [user_id for user_id, seen in presence.items() if seen.is_online]
    count, friendships = await social.friends(
        caller.id, online_ids=online_ids, limit=page.limit, offset=page.offset
    )
    instances = Instances(presence, svc.avatars)
    return paginated(request.url, page, count, [instances.friend(f) for f in friendships])


@blueprint.delete("/<int:friendship_id>/")
async def end_friendship(friendship_id: int) -> Response:
    caller = current_user()
    ended = await Social(services().database).end_friendship(friendship_id, caller.id)
    if ended is None:
        raise NotFound("Friendship not found.")
    events.friendship_ended(ended, caller.id)
    return await make_response("", 204)
