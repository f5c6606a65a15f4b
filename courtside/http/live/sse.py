"""`GET /sse/users/`: the user's events as Server-Sent Events (DESIGN.md §6, §12).

Every event carries its id; a browser's EventSource reconnects on its own and
sends the last one as Last-Event-ID, and the hub replays what came after it.
A comment line every ``sse_heartbeat_seconds`` (COURTSIDE_SSE_HEARTBEAT_SECONDS)
keeps proxies and clients' read timeouts from ending a quiet stream, and lets
us notice a client that went away.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import trio
from quart import Blueprint, Response, request

from courtside.actors import MAX_CONNECTIONS_PER_USER, Connection, Event, TooManyConnections
from courtside.protocol import ApiError, ValidationFailed
from courtside.protocol.user_messages import SSE_HEARTBEAT, SSE_RETRY

from ..auth.identity import current_user
from ..responses import fails_with, serves
from ..services import Services, services
from .events import ACCOUNT_DELETED, parse_event_id

blueprint = Blueprint("sse", __name__)


class TooManyStreams(ApiError):
    status = 429
    code = "too_many_connections"
    detail = (f"You hold {MAX_CONNECTIONS_PER_USER} live connections already;"
              " close one before opening another.")


@blueprint.get("/sse/users/")
@serves("text/event-stream", "The caller's events, from those after Last-Event-ID when it is given")
@fails_with(400, 429)
async def user_events() -> Response:
    try:
        last_event_id = parse_event_id(request.headers.get("Last-Event-ID"))
    except ValueError:
        raise ValidationFailed(
            "Last-Event-ID must be an event id.", errors={"Last-Event-ID": ["Not an event id."]}
        ) from None
    svc, user_id = services(), current_user().id
    if await svc.bus.connection_count(user_id) >= MAX_CONNECTIONS_PER_USER:
        raise TooManyStreams()
    response = Response(
        _stream(svc, user_id, last_event_id),
        content_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    response.timeout = None  # a stream lasts as long as the client stays
    return response


async def _stream(svc: Services, user_id: int, last_event_id: int | None) -> AsyncIterator[bytes]:
    async with contextlib.AsyncExitStack() as stack:
        try:
            connection = await stack.enter_async_context(svc.bus.connect(user_id, last_event_id))
        except TooManyConnections:
            return  # another tab took the last place since the check: the stream just ends
        stack.enter_context(svc.sockets.streaming(connection))
        # First, once subscribed: how soon to reconnect after losing the stream.
        yield SSE_RETRY
        for event in connection.replay:
            yield event.sse_frame
        while (event := await _next_or_heartbeat(connection, svc.sse_heartbeat_seconds)) is not None:
            if event is _HEARTBEAT:
                yield SSE_HEARTBEAT
                continue
            yield event.sse_frame
            if event.name == ACCOUNT_DELETED:
                return


_HEARTBEAT = Event(0, "heartbeat", {})


async def _next_or_heartbeat(connection: Connection, quiet_seconds: float) -> Event | None:
    """The next event, _HEARTBEAT after ``quiet_seconds`` without one, None once the hub
    ends the stream.

    (An async generator must not yield inside a cancel scope, hence this helper.)
    """
    with trio.move_on_after(quiet_seconds):
        try:
            return await connection.events.receive()
        except trio.EndOfChannel:
            return None
    return _HEARTBEAT
