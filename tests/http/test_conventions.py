"""DESIGN.md §3 from a client's side: every error is the envelope, never a 500 for bad input."""

from __future__ import annotations

import h11
import httpx
import pytest
import trio

from courtside.server.node import Node


def assert_envelope(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


async def test_unknown_route_is_a_404_envelope(client: httpx.AsyncClient) -> None:
    assert_envelope(await client.get("/api/no-such-thing/"), 404, "not_found")


async def test_wrong_method_is_a_405_envelope_naming_allowed_methods(
    client: httpx.AsyncClient,
) -> None:
    response = await client.delete("/healthz")
    assert_envelope(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_path_without_trailing_slash_answers_the_same(client: httpx.AsyncClient) -> None:
    with_slash = await client.post("/probe/greetings/", json={"name": "ana"})
    without = await client.post("/probe/greetings", json={"name": "ana"})
    assert with_slash.status_code == without.status_code == 201
    assert with_slash.json() == without.json() == {"greeting": "hello ana"}


async def test_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    body = assert_envelope(
        await client.post("/probe/greetings/", json={"name": 7}), 400, "invalid"
    )
    assert list(body["errors"]) == ["name"]

    body = assert_envelope(await client.post("/probe/greetings/", json={}), 400, "invalid")
    assert body["errors"] == {"name": ["This field is required."]}


async def test_malformed_json_is_a_400_not_a_500(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/probe/greetings/", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    assert_envelope(response, 400, "parse_error")


async def test_wrong_content_type_is_a_415(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/probe/greetings/", content=b"name=ana", headers={"content-type": "text/plain"}
    )
    assert_envelope(response, 415, "unsupported_media_type")


async def test_oversized_body_is_a_413(client: httpx.AsyncClient) -> None:
    name = "a" * (1024 * 1024 + 1)
    response = await client.post("/probe/greetings/", json={"name": name})
    assert_envelope(response, 413, "payload_too_large")


async def test_unexpected_error_is_a_500_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/probe/boom/")
    body = assert_envelope(response, 500, "internal_error")
    assert "secret internal detail" not in response.text
    assert "Traceback" not in response.text
    assert body == {"detail": "A server error occurred.", "code": "internal_error"}


async def test_pages_link_to_their_neighbours_absolutely(client: httpx.AsyncClient) -> None:
    first = (await client.get("/probe/numbers/?limit=20&kind=odd")).json()
    assert first["count"] == 45
    assert first["results"] == list(range(20))
    assert first["previous"] is None
    assert first["next"] == f"{client.base_url}/probe/numbers/?kind=odd&limit=20&offset=20"

    last = (await client.get(first["next"].replace("offset=20", "offset=40"))).json()
    assert last["results"] == list(range(40, 45))
    assert last["next"] is None
    assert last["previous"] == f"{client.base_url}/probe/numbers/?kind=odd&limit=20&offset=20"


async def test_default_page_is_twenty_items(client: httpx.AsyncClient) -> None:
    page = (await client.get("/probe/numbers/")).json()
    assert page["results"] == list(range(20))


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=101", "limit"), ("limit=ten", "limit"), ("offset=-1", "offset")],
)
async def test_bad_page_parameters_are_a_400(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    body = assert_envelope(await client.get(f"/probe/numbers/?{query}"), 400, "invalid")
    assert field in body["errors"]


async def _answer(stream: trio.SocketStream, client: h11.Connection) -> h11.Response:
    """The response to the request just sent, read to its end."""
    response = None
    with trio.fail_after(10):
        while True:
            event = client.next_event()
            if event is h11.NEED_DATA:
                client.receive_data(await stream.receive_some())
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.EndOfMessage):
                assert response is not None
                return response


def _header(response: h11.Response, name: bytes) -> bytes | None:
    return dict(response.headers).get(name)


@pytest.mark.parametrize(("method", "path", "keeps_alive"), [
    ("POST", "/api/auth/guest/", True),  # a body the view ignores: still read to its end
    ("OPTIONS", "/probe/greetings/", False),  # a body no view takes: the answer ends the connection
    ("GET", "/healthz", False),
])
async def test_a_body_that_comes_late_never_stalls_the_next_request(
    node: Node, method: str, path: str, keeps_alive: bool
) -> None:
    body = b'{"name": "ana"}'
    url = httpx.URL(node.http_url)
    stream = await trio.open_tcp_stream(url.host, url.port)
    client = h11.Connection(h11.CLIENT)
    headers = [("Host", "courtside"), ("Content-Type", "application/json"),
               ("Content-Length", str(len(body)))]
    await stream.send_all(client.send(h11.Request(method=method, target=path, headers=headers)))
    async with trio.open_nursery() as nursery:
        # The headers first, the body a moment later: the view may answer in between.
        async def send_body_late() -> None:
            await trio.sleep(0.2)
            await stream.send_all(client.send(h11.Data(data=body)) + client.send(h11.EndOfMessage()))
        nursery.start_soon(send_body_late)
        first = await _answer(stream, client)
    assert first.status_code < 500
    if not keeps_alive:
        assert _header(first, b"connection") == b"close"
        return
    assert _header(first, b"connection") != b"close"
    client.start_next_cycle()
    await stream.send_all(client.send(h11.Request(method="GET", target="/healthz", headers=[("Host", "courtside")]))
                          + client.send(h11.EndOfMessage()))
    assert (await _answer(stream, client)).status_code == 200
