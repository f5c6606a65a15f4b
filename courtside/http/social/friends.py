"""/api/users/me/friends/: the caller's friends, online first; one friendship; ending one.

A friendship has the id of the friend request it was accepted from, so a client
that kept the request's id reaches the friendship with it.
"""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, make_response, request
from quart_schema import validate_querystring, validate_response

from courtside.persistence import Social
from courtside.protocol import NotFound

from ..auth.identity import current_user
from ..pagination import PageQuery, paginated
from ..responses import no_content
from ..services import services
from . import events
from .instances import FriendInstance, FriendsPage, Instances

blueprint = Blueprint("friends", __name__, url_prefix="/friends")


class FriendsQuery(PageQuery, frozen=True):
    online: bool | None = None  # only the friends online (true) or offline (false)


def _not_found() -> NotFound:
    return NotFound("Friendship not found.")


@blueprint.get("/")
@validate_querystring(FriendsQuery)
@validate_response(FriendsPage)
async def friends(query_args: FriendsQuery) -> dict[str, Any]:
    """Friends online first, then by username; each with the pair's head-to-head record."""
    page = query_args.page
    caller = current_user()
    svc = services()
    social = Social(svc.database)
    # Presence of every friend, not only this page's: the order depends on it.
    presence = await svc.bus.presence(await social.friend_ids(caller.id))
    online_ids = [user_id for user_id, seen in presence.items() if seen.is_online]
    among = None if query_args.online is None else [
        user_id for user_id, seen in presence.items() if seen.is_online is query_args.online]
    count, friendships = await social.friends(
        caller.id, online_ids=online_ids, among=among, limit=page.limit, offset=page.offset
    )
    instances = Instances(presence, svc.avatars)
    return paginated(request.url, page, count, [instances.friend(f) for f in friendships])


@blueprint.get("/<int:friendship_id>/")
@validate_response(FriendInstance)
async def friendship(friendship_id: int) -> dict[str, Any]:
    found = await Social(services().database).friendship(friendship_id, current_user().id)
    if found is None:
        raise _not_found()
    return (await Instances.of([found.friend])).friend(found)


@blueprint.delete("/<int:friendship_id>/")
@no_content("The friendship ended")
async def end_friendship(friendship_id: int) -> Response:
    caller = current_user()
    ended = await Social(services().database).end_friendship(friendship_id, caller.id)
    if ended is None:
        raise _not_found()
    events.friendship_ended(ended, caller.id)
    return await make_response("", 204)
