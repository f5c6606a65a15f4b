"""What operators poll: health, readiness, metrics, and the API docs."""

from __future__ import annotations

import os

import httpx
import trio
import trio_websocket

from courtside.actors import Inbox, Overflow, Restart
from courtside.server.node import Node


async def test_health_and_readiness(client: httpx.AsyncClient, node: Node) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200
    ready = response.json()
    me = node.services.cluster.node_id
    assert (ready["status"], ready["node"]) == ("ready", {"id": me, "pid": os.getpid()})
    assert [n["id"] for n in ready["nodes"]] == [me]
    assert ready["nodes"][0]["http_url"] == node.http_url


class CrashesAfterStarting:
    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(1, Overflow.REJECT, name="crasher:1") as inbox:
            task_status.started(inbox.handle)
            raise RuntimeError("lost its state")


async def test_readiness_fails_when_a_vital_actor_is_given_up(
    node: Node, client: httpx.AsyncClient
) -> None:
    supervisor = node.services.supervisor
    # Real time: five restarts with the default backoff take about three seconds.
    with trio.fail_after(20):
        await supervisor.start(CrashesAfterStarting, name="lost:1", restart=Restart.ON_FAILURE)
        while "lost:1" not in supervisor.failed:
            await trio.sleep(0.1)
        assert (await client.get("/readyz")).status_code == 200  # a lost chat room, say
        await supervisor.start(CrashesAfterStarting, name="crasher:1", restart=Restart.ON_FAILURE,
                               vital=True)
        while supervisor.is_healthy:
            await trio.sleep(0.1)
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["code"] == "actors_failed"


async def test_metrics_count_requests_by_route_and_status(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/no/such/page")
    text = (await client.get("/metrics")).text
    assert 'courtside_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text
    assert 'route="<unmatched>",status="404"' in text
    assert "courtside_http_request_duration_seconds_bucket" in text
    assert "courtside_db_pool_size 5.0" in text
    assert "courtside_db_pool_in_use" in text
    assert "courtside_actors" in text
    assert "courtside_mailbox_depth" in text


async def test_openapi_documents_the_routes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert spec["info"]["title"] == "Courtside"
    assert "/probe/greetings/" in spec["paths"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


async def test_shutdown_closes_open_sockets_with_1001(
    node: Node, client: httpx.AsyncClient
) -> None:
    url = node.http_url.replace("http://", "ws://") + "/probe/echo/"
    with trio.fail_after(10):
        async with trio_websocket.open_websocket_url(url) as socket:
            await socket.send_message("ping")
            assert await socket.get_message() == "ping"
            assert "courtside_open_sockets 1.0" in (await client.get("/metrics")).text
            node.shutdown()
            try:
                await socket.get_message()
            except trio_websocket.ConnectionClosed as closed:
                assert closed.reason.code == 1001
            else:
                raise AssertionError("the socket stayed open through shutdown")
