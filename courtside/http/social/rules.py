"""Who may befriend and block whom: the reference's refusals, in the order they apply.

Plain functions of what the transaction read under its locks, so the order of
the checks is the whole rule.
"""

from __future__ import annotations

import enum

from courtside.persistence import Relationship, User
from courtside.protocol import Conflict, Forbidden, NotFound

MAX_PENDING_SENT = 20
MAX_BLOCKS = 50


class Befriending(enum.Enum):
    SEND = "send"
    # The receiver asked first: asking back accepts their request.
    ACCEPT = "accept"


def user_not_found() -> NotFound:
    return NotFound("User not found.")


def befriending(receiver: User, relationship: Relationship, pending_sent: int) -> Befriending:
    """What a friend request to ``receiver`` does, or the refusal it meets."""
    if relationship.blocked_by:
        raise user_not_found()
    if relationship.block_id is not None:
        raise Forbidden("You have blocked this user.", code="user_blocked")
    if relationship.friendship_id is not None:
        raise Conflict("You are already friends.", code="already_friends")
    if relationship.received_request_id is not None:
        return Befriending.ACCEPT
    if relationship.sent_request_id is not None:
        raise Conflict("You have already sent this user a friend request.",
                       code="friend_request_exists")
    if not receiver.accept_friend_request:
        raise Forbidden("This user does not accept friend requests.",
                        code="friend_requests_refused")
    if pending_sent >= MAX_PENDING_SENT:
        raise Forbidden(f"You already have {MAX_PENDING_SENT} pending friend requests.",
                        code="too_many_friend_requests")
    return Befriending.SEND


def check_block(relationship: Relationship, blocks_made: int) -> None:
    """Refuse a block of ``relationship.other_id`` the reference refuses."""
    if relationship.blocked_by:
        raise user_not_found()
    if relationship.block_id is not None:
        raise Conflict("You have already blocked this user.", code="already_blocked")
    if blocks_made >= MAX_BLOCKS:
        raise Forbidden(f"You have already blocked {MAX_BLOCKS} users.", code="too_many_blocks")
