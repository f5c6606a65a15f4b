"""/openapi.json names every route by its real path."""

from __future__ import annotations

import inspect
import re

import httpx

from courtside.server.node import Node

UNDOCUMENTED = {"/docs", "/openapi.json", "/static/<path:filename>", "/healthz", "/readyz",
                "/metrics", "/ws/"}


async def test_every_route_is_documented_at_its_own_path(client: httpx.AsyncClient, node: Node) -> None:
    documented = set((await client.get("/openapi.json")).json()["paths"])
    routes = {re.sub(r"<(?:[^:>]*:)?([^>]+)>", r"{\1}", rule.rule)
              for rule in node.app.url_map.iter_rules() if rule.rule not in UNDOCUMENTED}
    assert documented == routes
    assert "/api/play/lobby/{code}/ban/{user_id}/" in documented
    assert "/api/play/tournament/{code}/invite/{user_id}/" in documented


async def test_every_operation_documents_the_error_envelope_of_its_statuses(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    envelope = document["components"]["schemas"]["ErrorEnvelope"]
    assert envelope["required"] == ["detail", "code"]
    expected = {
        ("get", "/api/users/me/"): {"401", "503"},
        ("post", "/api/auth/login/"): {"400", "401", "413", "415", "429", "503"},
        ("delete", "/api/play/lobby/{code}/ban/{user_id}/"): {"401", "403", "404", "429", "503"},
    }
    for (method, path), statuses in expected.items():
        responses = document["paths"][path][method]["responses"]
        assert {status for status in responses if status.startswith(("4", "5"))} == statuses, path
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {status: response for status, response in operation["responses"].items()
                      if status.startswith(("4", "5"))}
            assert "503" in errors, (method, path)
            for response in errors.values():
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (method, path)


# What a view does when it reads a body or a query string itself, not through a
# quart-schema declaration (optional_body for a body that may be absent).
_READS_BODY = re.compile(r"\boptional_body\(|\bget_json\(|\brequest\.(files|form|get_data)\b")
_READS_QUERY = re.compile(r"\brequest\.args\b")
_BODILESS = {"202", "204", "302"}


def _source_reached(function: object, seen: set[object] | None = None) -> str:
    """The source of ``function`` and of the courtside.http functions it calls, by name,
    down the call graph: a view that reads its body through a helper reads it."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    if function in seen or not inspect.isfunction(function):
        return ""
    seen.add(function)
    source = inspect.getsource(function)
    called = (function.__globals__.get(name) for name in function.__code__.co_names)
    return source + "".join(_source_reached(callee, seen) for callee in called
                            if getattr(callee, "__module__", "").startswith("courtside.http"))


async def test_every_operation_documents_its_success_body_and_inputs(
    client: httpx.AsyncClient, node: Node,
) -> None:
    document = (await client.get("/openapi.json")).json()
    missing: set[tuple[str, str]] = set()
    for rule in node.app.url_map.iter_rules():
        if rule.rule in UNDOCUMENTED:
            continue
        path = re.sub(r"<(?:[^:>]*:)?([^>]+)>", r"{\1}", rule.rule)
        source = _source_reached(node.app.view_functions[rule.endpoint])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = document["paths"][path][method.lower()]
            successes = {status: response for status, response in operation["responses"].items()
                         if status.startswith(("2", "3"))}
            if not successes:
                missing.add((method.lower(), path))
            for status, response in successes.items():
                if status in _BODILESS:
                    assert "content" not in response, (method, path, status)
                else:
                    assert all(media["schema"] for media in response["content"].values()), (
                        method, path, status)
            if _READS_BODY.search(source):
                assert operation.get("requestBody", {}).get("content"), (method, path)
            if _READS_QUERY.search(source):
                assert any(p["in"] == "query" for p in operation["parameters"]), (method, path)
    assert not missing


async def test_lists_document_their_page_and_query(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    friends = document["paths"]["/api/users/me/friends/"]["get"]
    assert {p["name"] for p in friends["parameters"]} == {"limit", "offset", "online"}
    page = friends["responses"]["200"]["content"]["application/json"]["schema"]
    assert document["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]["required"] == [
        "count", "next", "previous", "results"]
    deleted = document["paths"]["/api/chat/{chat_id}/"]["delete"]["responses"]["204"]
    assert "content" not in deleted


async def test_create_routes_link_to_what_they_made(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    paths = document["paths"]

    def links(path: str, status: str) -> dict[str, dict]:
        return paths[path]["post"]["responses"][status].get("links", {})

    chat = links("/api/chat/", "201")
    assert chat["chat.chats.show_chat.get"] == {
        "operationRef": "#/paths/~1api~1chat~1{chat_id}~1/get",
        "parameters": {"chat_id": "$response.body#/id"}}
    assert links("/api/play/lobby/", "201")["lobbies.ban.delete"]["parameters"] == {
        "code": "$response.body#/code"}
    assert links("/api/chat/{chat_id}/messages/", "201")["chat.chat_messages.delete_message.delete"][
        "parameters"] == {"message_id": "$response.body#/id", "chat_id": "$request.path.chat_id"}
    # A friend request sent may come back a friendship: no id to follow.
    assert links("/api/users/me/friend_requests/", "201") == {}
    for operations in paths.values():
        for operation in operations.values():
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    _, _, pointer = link["operationRef"].partition("#/paths/")
                    path, _, method = pointer.rpartition("/")
                    target = paths[path.replace("~1", "/").replace("~0", "~")][method]
                    named = {p["name"] for p in target["parameters"] if p["in"] == "path"}
                    assert set(link["parameters"]) <= named, link
