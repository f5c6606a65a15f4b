"""Whom the caller may look up: one who blocked the caller is not there, as if deleted."""

from __future__ import annotations

from courtside.persistence import Social, User, Users
from courtside.protocol import NotFound
from courtside.protocol.user_messages import MAX_ID

from ..auth.identity import current_user
from ..services import services


async def visible_user(user_id: int) -> User:
    """The user behind ``/api/users/<id>/...``, or 404 for the caller (DESIGN.md §5)."""
    database = services().database
    user = None if user_id > MAX_ID else await Users(database).get(user_id)
    if user is None or (await Social(database).relationship(current_user().id, user_id)).blocked_by:
        raise NotFound("User not found.")
    return user
