"""``POST``/``DELETE /api/play/duel/`` and ``/api/play/ranked/``: join or leave a queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from quart import Blueprint, Response, make_response
from quart_schema import validate_response

from courtside.actors import Busy, Dequeue, Enqueue, QueueFull, Reply, already_engaged
from courtside.actors.matchmaker import QueueTicket
from courtside.actors.registry import ask_named
from courtside.protocol import Forbidden, NotFound, ServiceUnavailable

from ..auth.identity import current_user
from ..responses import fails_with, no_content
from ..services import services

blueprint = Blueprint("queues", __name__, url_prefix="/api/play")

REQUEST_TIMEOUT = 5.0
T = TypeVar("T")


async def _ask_queue(mode: str, make_message: Callable[[Reply[T]], Any]) -> T:
    """Ask the cluster's matchmaker of ``mode``, on whichever node it runs."""
    unavailable = ServiceUnavailable(f"The {mode} queue is busy or restarting; try again.",
                                     code="queue_unavailable")
    return await ask_named(services().bus.find, f"queue:{mode}", make_message,
                           timeout=REQUEST_TIMEOUT, missing=unavailable, busy=unavailable)


@blueprint.post("/<any(duel, ranked):mode>/")
@validate_response(QueueTicket, 201)
@fails_with(409)
async def join_queue(mode: str) -> tuple[QueueTicket, int]:
    caller = current_user()
    if mode == "ranked" and caller.is_guest:
        raise Forbidden("Guests cannot play ranked; register the account first.", code="guest_account")
    try:
        ticket = await _ask_queue(mode, lambda reply: Enqueue(caller.id, caller.trophies, reply))
    except Busy as busy:
        raise already_engaged(busy.engagement) from None
    except QueueFull:
        raise ServiceUnavailable("The queue is full; try again soon.") from None
    return ticket, 201


@blueprint.delete("/<any(duel, ranked):mode>/")
@no_content("Out of the queue")
async def leave_queue(mode: str) -> Response:
    left = await _ask_queue(mode, lambda reply: Dequeue(current_user().id, reply))
    if not left:
        raise NotFound(f"You are not in the {mode} queue.")
    return await make_response("", 204)
