"""The caller as lobbies, tournaments and invitations show a user to others, and
whom the caller may invite to them."""

from __future__ import annotations

from courtside.actors.lobby_messages import Person
from courtside.persistence import Social, Users
from courtside.protocol import Forbidden, NotFound
from courtside.protocol.user_messages import MAX_ID

from ..auth.identity import current_user
from ..services import services


def caller_as_person() -> Person:
    caller = current_user()
    return Person(caller.id, caller.username, caller.nickname, caller.is_guest,
                  services().avatars.urls(caller.avatar))


async def check_invitable(user_id: int) -> None:
    """The caller may invite ``user_id``: someone else, who exists, with no block
    between them (DESIGN.md §5); a blocked or unknown user is simply not found."""
    caller = current_user()
    if user_id == caller.id:
        raise Forbidden("You cannot invite yourself.", code="invite_self")
    database = services().database
    if user_id > MAX_ID or await Users(database).get(user_id) is None:
        raise NotFound("User not found.")
    relationship = await Social(database).relationship(caller.id, user_id)
    if relationship.blocked_by or relationship.block_id is not None:
        raise NotFound("User not found.")
