"""`GET /api/live/`: where a client opens its live channel (docs/LIVE_CHANNEL.md)."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_response

from ..responses import Shown
from ..services import services

blueprint = Blueprint("live_channels", __name__)


class LiveChannels(Shown):
    """The user channel's addresses. ``ws_url`` is ``/ws/`` on the game port, whose
    writes never wait; ``/ws/`` on the HTTP port and ``sse_path`` carry the same
    events, for clients that can reach only the HTTP origin."""

    ws_url: str
    sse_path: str


@blueprint.get("/api/live/")
@validate_response(LiveChannels)
async def live_channels() -> LiveChannels:
    return LiveChannels(ws_url=services().live_url, sse_path="/sse/users/")
