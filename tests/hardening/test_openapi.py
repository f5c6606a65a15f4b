"""/openapi.json names every route by its real path."""

from __future__ import annotations

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
        ("post", "/api/auth/login/"): {"400", "413", "415", "429", "503"},
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
