"""Inputs refused once, at the HTTP boundary, on every route: what generated requests found.

NUL (which PostgreSQL text cannot hold) in a query parameter or any JSON string,
and bodies that are not UTF-8, are a 400 in the envelope (a path with NUL a 404),
never a 500; a body that does not fit its model names every bad field at once.
"""

from __future__ import annotations

import httpx
import pytest

from courtside.server.node import Node
from tests.accounts import make_user
from tests.social.graph import block

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize("path", [
    "/api/users/?q=a%00b",
    "/api/chats/?q=%00",
    "/api/play/tournament/search/?q=C%00",
    "/api/users/?limit=1&q=ok&%00=x",
])
async def test_nul_in_any_query_parameter_is_a_400(
    client: httpx.AsyncClient, node: Node, path: str
) -> None:
    alice = await make_user(client, "alice")
    response = await client.get(path, headers=alice.headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) in (["q"], ["query"])


async def test_a_path_with_nul_names_nothing(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    for path in ("/api/play/lobby/ab%00cd/", "/api/game/matches/x%00/"):
        response = await client.get(path, headers=alice.headers)
        assert (response.status_code, response.json()["code"]) == (404, "not_found"), path


async def test_nul_in_any_json_string_names_its_field(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    nickname = await client.patch("/api/users/me/", json={"nickname": "\x00"},
                                  headers=alice.headers)
    assert nickname.status_code == 400, nickname.text
    assert nickname.json()["errors"] == {"nickname": ["NUL characters are not allowed."]}
    # Deep inside a value, and in two fields at once.
    nested = await client.post("/api/auth/login/", headers=JSON,
                               content=b'{"username": "a\\u0000", "password": ["x\\u0000"]}')
    assert (nested.status_code, sorted(nested.json()["errors"])) == (400, ["password", "username"])
    in_a_key = await client.patch("/api/users/me/", headers={**JSON, **alice.headers},
                                  content=b'{"nick\\u0000name": "x"}')
    assert (in_a_key.status_code, list(in_a_key.json()["errors"])) == (400, ["non_field_errors"])


async def test_an_escaped_backslash_before_u0000_is_no_nul(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    # The JSON text "\\u0000" is a backslash followed by "u0000": six harmless characters.
    response = await client.patch("/api/users/me/", headers={**JSON, **alice.headers},
                                  content=b'{"nickname": "x\\\\u0000"}')
    assert response.status_code == 200, response.text
    assert response.json()["nickname"] == "x\\u0000"


async def test_a_body_that_is_not_utf8_is_a_400(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    for method, path, body in (
        ("POST", "/api/auth/register/", b'{"username": "\xff\xfe", "password": "x"}'),
        ("PATCH", "/api/users/me/", b'{"nickname": "caf\xe9"}'),
        ("POST", "/api/auth/refresh/", b'\xc3\x28'),
        ("POST", "/api/play/tournament/XXXX/", b'{"alias": "\xff"}'),
    ):
        response = await client.request(method, path, content=body,
                                        headers={**JSON, **alice.headers})
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "parse_error"
        assert "UTF-8" in response.json()["detail"]


async def test_every_missing_or_wrong_field_is_named_at_once(client: httpx.AsyncClient, node: Node) -> None:
    alice = await make_user(client, "alice")
    for method, path, body, fields in (
        ("POST", "/api/auth/register/", {}, ["password", "username"]),
        ("POST", "/api/auth/login/", {"username": 1, "password": None}, ["password", "username"]),
        ("POST", "/api/play/tournament/", {"name": 3}, ["name", "size"]),
        ("POST", "/api/auth/refresh/", {"refresh": 5}, ["refresh"]),
        ("POST", "/api/play/tournament/XXXX/", {"alias": 5}, ["alias"]),
    ):
        response = await client.request(method, path, json=body, headers=alice.headers)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["code"] == "invalid"
        assert sorted(response.json()["errors"]) == fields, (path, response.text)
    required = await client.post("/api/auth/register/", json={})
    assert required.json()["errors"]["username"] == ["This field is required."]
    not_an_object = await client.post("/api/auth/register/", json=[1, 2])
    assert (not_an_object.status_code, list(not_an_object.json()["errors"])) == (
        400, ["non_field_errors"])


async def test_a_blocked_user_cannot_read_the_blockers_stats_or_matches(
    client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    assert (await client.get(f"/api/users/{alice.id}/stats/", headers=bob.headers)).status_code == 200
    assert (await block(client, alice, bob.id)).status_code == 201
    for path in (f"/api/users/{alice.id}/", f"/api/users/{alice.id}/stats/",
                 f"/api/users/{alice.id}/matches/"):
        hidden = await client.get(path, headers=bob.headers)
        assert (hidden.status_code, hidden.json()["code"]) == (404, "not_found"), path
    # The blocker still sees the one it blocked.
    seen = await client.get(f"/api/users/{bob.id}/stats/", headers=alice.headers)
    assert seen.status_code == 200
