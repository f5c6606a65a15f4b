"""``POST``/``DELETE /api/play/duel/`` and ``/api/play/ranked/``: join or leave a queue."""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Blueprint, Response, make_response

from courtside.actors import Busy, Dequeue, Enqueue, QueueFull, already_engaged
from courtside.protocol import Forbidden, NotFound, ServiceUnavailable

from ..auth.identity import current_user
from ..services import services

blueprint = Blueprint("queues", __name__, url_prefix="/api/play")

REQUEST_TIMEOUT = 5.0


async def _queue(mode: str):
    handle = await services().bus.find(f"queue:{mode}")
    if handle is None:
        raise ServiceUnavailable(f"The {mode} queue is restarting; try again.")
    return handle


@blueprint.post("/<any(duel, ranked):mode>/")
async def join_queue(mode: str) -> tuple[dict[str, Any], int]:
    caller = current_user()
    if mode == "ranked" and caller.is_guest:
        raise Forbidden("Guests cannot play ranked; register the account first.", code="guest_account")
    try:
        ticket = await (await _queue(mode)).request(
            lambda reply: Enqueue(caller.id, caller.trophies, reply), timeout=REQUEST_TIMEOUT
        )
    except Busy as busy:
        raise already_engaged(busy.engagement) from None
    except QueueFull:
        raise ServiceUnavailable("The queue is full; try again soon.") from None
    return msgspec.to_builtins(ticket), 201


@blueprint.delete("/<any(duel, ranked):mode>/")
async def leave_queue(mode: str) -> Response:
    left = await (await _queue(mode)).request(
        lambda reply: Dequeue(current_user().id, reply), timeout=REQUEST_TIMEOUT
    )
    if not left:
        raise NotFound(f"You are not in the {mode} queue.")
    return await make_response("", 204)
