"""Public probe routes that exercise the app's conventions from the outside.

They are added to the real app before its first request; what they test (error
envelope, validation, pagination, socket shutdown) is the app's own machinery.
"""

from __future__ import annotations

import msgspec
import pytest
from quart import Blueprint, request, websocket
from quart_schema import validate_querystring, validate_request

from courtside.http.auth.identity import public
from courtside.http.pagination import PageQuery, paginated
from courtside.http.services import services
from courtside.server.node import Node


class Greeting(msgspec.Struct, frozen=True):
    name: str
    times: int = 1


probe = Blueprint("probe", __name__, url_prefix="/probe")


@probe.post("/greetings/")
@public
@validate_request(Greeting)
async def greet(data: Greeting) -> tuple[dict[str, str], int]:
    return {"greeting": " ".join([f"hello {data.name}"] * data.times)}, 201


@probe.get("/numbers/")
@public
@validate_querystring(PageQuery)
async def numbers(query_args: PageQuery) -> dict[str, object]:
    page = query_args.page
    total = 45
    results = list(range(page.offset, min(total, page.offset + page.limit)))
    return paginated(request.url, page, total, results)


@probe.get("/boom/")
@public
async def boom() -> None:
    raise RuntimeError("secret internal detail")


@probe.websocket("/echo/")
async def echo() -> None:
    async def loop() -> None:
        await websocket.accept()
        while True:
            await websocket.send(await websocket.receive())

    await services().sockets.serve(loop)


@pytest.fixture
async def node(node: Node) -> Node:
    """The real server, with the probe routes added before its first request."""
    node.app.register_blueprint(probe)
    return node
