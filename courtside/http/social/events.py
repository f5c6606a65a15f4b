"""The friendship events of the user channel (the reference's SSE list, DESIGN.md §6).

Each payload is the reference's ``data`` with its ``kwargs`` merged in (DESIGN.md
§12), published after the change is committed: a client that misses an event
finds the same state by REST.
"""

from __future__ import annotations

from typing import Any

import msgspec

from courtside.persistence import FriendshipEnds, RequestEnds, Severed

from ..services import services


def _publish(user_id: int, name: str, data: dict[str, Any]) -> None:
    # Events leave the process one day: timestamps go as the API writes them.
    services().bus.publish_to_user(user_id, name, msgspec.to_builtins(data))


def request_received(receiver_id: int, request: dict[str, Any], sender_username: str) -> None:
    # The reference's kwargs are the sender's id and username; the sender's id is
    # already ``sender.id``, and merging it as ``id`` would hide the request's id.
    _publish(receiver_id, "receive-friend-request", {**request, "username": sender_username})


def request_accepted(sender_id: int, friendship: dict[str, Any], receiver_username: str) -> None:
    """``friendship`` as the sender sees it."""
    _publish(sender_id, "accept-friend-request", {**friendship, "username": receiver_username})


def request_rejected(request: RequestEnds) -> None:
    _publish(request.sender_id, "reject-friend-request", {"id": request.id})


def request_cancelled(request: RequestEnds) -> None:
    _publish(request.receiver_id, "cancel-friend-request", {"id": request.id})


def friendship_ended(friendship: FriendshipEnds, by_id: int) -> None:
    _publish(friendship.other_than(by_id), "delete-friend", {"id": friendship.id})


def ties_severed(severed: Severed, by_id: int) -> None:
    """Tell the others what ``by_id`` ended by blocking them or deleting the account."""
    for request in severed.requests:
        if request.receiver_id == by_id:
            request_rejected(request)
        else:
            request_cancelled(request)
    for friendship in severed.friendships:
        friendship_ended(friendship, by_id)


def blocked(severed: Severed, blocker_id: int) -> None:
    ties_severed(severed, blocker_id)
    # The reference tells the blocker too when the block cancels their own
    # request, so their other open pages drop it.
    for request in severed.requests:
        if request.sender_id == blocker_id:
            _publish(blocker_id, "cancel-friend-request", {"id": request.id})
