"""/healthz, /readyz and /metrics: what an operator or orchestrator polls."""

from __future__ import annotations

import os
from typing import Any

import trio
from quart import Blueprint, Response, make_response
from quart_schema import hide

from courtside.protocol import ServiceUnavailable

from .auth.identity import public
from .metrics import CONTENT_TYPE
from .services import services

READINESS_TIMEOUT = 2.0

blueprint = Blueprint("operations", __name__)


@blueprint.get("/healthz")
@hide
@public
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@blueprint.get("/readyz")
@hide
@public
async def readyz() -> dict[str, Any]:
    """The database answers and every supervised actor is running. ``node`` names the
    node that answered (the workers of ``--workers N`` share one port), ``nodes`` the
    cluster's live nodes as of its last heartbeat."""
    svc = services()
    with trio.move_on_after(READINESS_TIMEOUT):
        try:
            await svc.database.fetchval("SELECT 1")
        except Exception as error:
            raise ServiceUnavailable(f"Database unreachable: {error}", code="database_unavailable") from error
        if not svc.supervisor.is_healthy:
            raise ServiceUnavailable("An actor failed beyond its restart limit.", code="actors_failed")
        cluster = svc.cluster
        return {
            "status": "ready",
            "node": {"id": cluster.node_id, "pid": os.getpid()},
            "nodes": [
                {"id": node.id, "http_url": node.http_url, "game_url": node.game_url,
                 "live_matches": node.live_matches, "connections": node.connections}
                for node in cluster.membership.live
            ],
        }
    raise ServiceUnavailable("Database did not answer in time.", code="database_unavailable")


@blueprint.get("/metrics")
@hide
@public
async def metrics() -> Response:
    return await make_response(await services().metrics.render(), 200, {"Content-Type": CONTENT_TYPE})
