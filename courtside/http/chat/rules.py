"""Who may chat with whom: the reference's refusals, in the order they apply.

The same rules hold for opening a dialogue and for a group admin adding someone:
guests have no dialogues or groups, a block either way stops it (the one who
blocked is told so, the one blocked sees the other as absent), and the other
person's ``accept_chat_from`` decides (``none``, ``friends_only``, ``everyone``).
Plain functions of what the handler read, so the order of the checks is the rule.
"""

from __future__ import annotations

from courtside.persistence import Relationship, User
from courtside.protocol import Forbidden, NotFound, ValidationFailed

MAX_GROUP_NAME_LENGTH = 50


def user_not_found() -> NotFound:
    return NotFound("User not found.")


def guests_cannot_chat() -> Forbidden:
    return Forbidden("Guests cannot open dialogues or groups; register the account first.",
                     code="guest_account")


def accepts_chats_from(user: User, relationship: Relationship) -> bool:
    """Whether ``user`` takes chats from the other side of ``relationship`` (theirs to them)."""
    if user.accept_chat_from == "everyone":
        return True
    if user.accept_chat_from == "friends_only":
        return relationship.friendship_id is not None
    return False


def check_chat_partner(caller: User, other: User | None, relationship: Relationship | None) -> User:
    """``other`` (found by name or id), if ``caller`` may chat with them; the refusal otherwise.

    ``relationship`` is the caller's to ``other``.
    """
    if caller.is_guest:
        raise guests_cannot_chat()
    if other is None or other.is_guest or relationship is None:
        raise user_not_found()
    if other.id == caller.id:
        raise Forbidden("You cannot chat with yourself.", code="chat_self")
    if relationship.blocked_by:
        raise user_not_found()
    if relationship.block_id is not None:
        raise Forbidden("You have blocked this user.", code="user_blocked")
    if not accepts_chats_from(other, relationship):
        raise Forbidden("This user does not accept chats from you.", code="chats_refused")
    return other


def group_name(name: str) -> str:
    """The name as stored: trimmed, 1 to MAX_GROUP_NAME_LENGTH characters."""
    trimmed = name.strip()
    if not trimmed or len(trimmed) > MAX_GROUP_NAME_LENGTH:
        raise ValidationFailed(errors={"name": [
            f"A group name has 1 to {MAX_GROUP_NAME_LENGTH} characters."
        ]})
    return trimmed
