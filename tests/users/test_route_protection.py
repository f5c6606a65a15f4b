"""Every route refuses anonymous, expired, tampered and wrong-type tokens.

The test walks the app's route table, so a route added later is covered
without anyone remembering to add it here.
"""

from __future__ import annotations

import time

import httpx
import jwt

from courtside.http.auth.identity import is_public
from courtside.server.node import Node
from tests.accounts import make_user
from tests.conftest import TEST_SECRET

PUBLIC = {
    ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics"),
    ("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/static/<path:filename>"),
    ("POST", "/api/auth/register/"), ("POST", "/api/auth/login/"),
    ("POST", "/api/auth/guest/"), ("POST", "/api/auth/refresh/"),
    ("GET", "/media/avatars/<file_name>"),
    ("POST", "/api/auth/password-reset/"), ("POST", "/api/auth/password-reset/confirm/"),
    ("GET", "/api/auth/oauth/"), ("GET", "/api/auth/oauth/<name>/"),
    ("GET", "/api/auth/oauth/<name>/callback/"),
    # The web client, the SDK and /docs' assets (courtside.web).
    ("GET", "/"), ("GET", "/app/<path:filename>"), ("GET", "/sdk/<path:filename>"),
    ("GET", "/docs/assets/<path:filename>"),
}


# A value for each URL variable; a route with a variable missing here fails loudly.
SAMPLE_VALUES = {"user_id": 1, "code": "abcdefghij", "mode": "duel", "file_name": "x.webp",
                 "filename": "x", "request_id": 1, "friendship_id": 1, "block_id": 1,
                 "chat_id": 1, "message_id": 1, "invite_id": 1, "tournament_id": 1,
                 "name": "github", "notification_id": 1}


def routes(node: Node) -> list[tuple[str, str, bool]]:
    urls = node.app.url_map.bind("localhost")
    found = []
    for rule in node.app.url_map.iter_rules():
        if rule.websocket:
            continue
        path = urls.build(rule.endpoint, {name: SAMPLE_VALUES[name] for name in rule.arguments})
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, path, (method, rule.rule) in PUBLIC))
    return found


def _token(**claims: object) -> str:
    now = int(time.time())
    payload = {"sub": "1", "typ": "access", "iat": now, "exp": now + 900, "jti": "x", "ver": 0}
    return jwt.encode({**payload, **claims}, TEST_SECRET, algorithm="HS256")


async def test_only_the_intended_routes_are_public(node: Node) -> None:
    async with node.app.app_context():
        public = {
            (method, rule.rule)
            for rule in node.app.url_map.iter_rules()
            if not rule.websocket and is_public(rule.endpoint)
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
        }
    assert public == PUBLIC


async def test_every_protected_route_refuses_bad_credentials(
    node: Node, client: httpx.AsyncClient
) -> None:
    alice = await make_user(client, "alice")
    expired = _token(sub=str(alice.id), iat=int(time.time()) - 2000, exp=int(time.time()) - 1000)
    tampered = alice.access[:-3] + ("AAA" if not alice.access.endswith("AAA") else "BBB")
    other_key = jwt.encode(jwt.decode(alice.access, TEST_SECRET, algorithms=["HS256"]),
                           "another-key-entirely-another-key", algorithm="HS256")
    cases = {
        None: "not_authenticated",
        expired: "token_not_valid",
        tampered: "token_not_valid",
        other_key: "token_not_valid",
        alice.refresh: "token_not_valid",  # a refresh token is not an access token
        "garbage": "token_not_valid",
    }
    protected = [(method, path) for method, path, public in routes(node) if not public]
    assert len(protected) >= 8
    for method, path in protected:
        for token, code in cases.items():
            headers = {} if token is None else {"Authorization": f"Bearer {token}"}
            response = await client.request(method, path, headers=headers)
            assert response.status_code == 401, (method, path, code, response.text)
            assert response.json()["code"] == code, (method, path, response.text)
        malformed = await client.request(method, path, headers={"Authorization": "Basic abc"})
        assert malformed.json()["code"] == "authentication_failed", (method, path)
