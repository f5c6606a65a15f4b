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
