"""Sign-in with OAuth 2.0 / OpenID Connect against a real provider on loopback."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from courtside.server.node import Node
from tests.accounts import DEFAULT_PASSWORD, make_user
from tests.sign_in.oauth_browser import (
    Callback,
    at_provider,
    come_back,
    flow_cookie,
    sign_in_with,
    started,
)
from tests.sign_in.oauth_server import OAuthProvider, ProviderUser

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access']}"}


async def me(client: httpx.AsyncClient, tokens: dict[str, str]) -> dict[str, object]:
    response = await client.get("/api/users/me/", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_configured_providers_are_listed(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/oauth/")
    assert response.json() == {"providers": [{"name": "acme"}, {"name": "forge"}]}


async def test_signing_in_redirects_to_the_provider_with_pkce_state_and_nonce(
    client: httpx.AsyncClient, node: Node, oauth_provider: OAuthProvider
) -> None:
    response = await client.get("/api/auth/oauth/acme/")
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == f"{oauth_provider.url}/authorize"
    query = {key: values[0] for key, values in parse_qs(target.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "courtside-acme"
    assert query["redirect_uri"] == f"{node.http_url}/api/auth/oauth/acme/callback/"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43
    assert query["scope"] == "openid profile email"
    assert query["state"] and query["nonce"]
    cookie = next(line for line in response.headers.get_list("set-cookie")
                  if line.startswith("oauth_flow="))
    for attribute in ("HttpOnly", "Secure", "SameSite=Lax", "Path=/api/auth/oauth/", "Max-Age=600"):
        assert attribute in cookie


async def test_first_sign_in_creates_a_password_less_account(client: httpx.AsyncClient) -> None:
    response = await sign_in_with(client, "acme")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] is True
    cookies = {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}
    assert cookies["access"].startswith(f"access={body['access']}")
    assert "HttpOnly" in cookies["refresh"] and "SameSite=Strict" in cookies["refresh"]
    assert "oauth_flow" in cookies  # cleared: the flow is over

    profile = await me(client, body)
    assert profile["username"] == "alice"
    assert profile["nickname"] == "Alice Liddell"
    assert profile["email"] == "alice@example.org"
    # No password: logging in with one never works.
    for password in ("", DEFAULT_PASSWORD):
        login = await client.post("/api/auth/login/", json={"username": "alice", "password": password})
        assert login.status_code == 401


async def test_later_sign_ins_log_into_the_same_account(client: httpx.AsyncClient) -> None:
    first = (await sign_in_with(client, "acme")).json()
    again = await sign_in_with(client, "acme")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert (await me(client, again.json()))["id"] == (await me(client, first))["id"]


async def test_a_plain_oauth_provider_signs_in_too(
    client: httpx.AsyncClient, oauth_provider: OAuthProvider
) -> None:
    oauth_provider.signed_in = ProviderUser("77", "Octo Cat!", "Mona", "mona@example.org")
    start = await client.get("/api/auth/oauth/forge/")
    query = parse_qs(urlsplit(start.headers["location"]).query)
    assert "nonce" not in query
    assert query["scope"] == ["read:user"]
    response = await come_back(client, await at_provider(client, start, start.headers["location"]))
    assert response.status_code == 201, response.text
    assert (await me(client, response.json()))["username"] == "Octo_Cat"


async def test_a_taken_username_gets_a_numeric_postfix(
    client: httpx.AsyncClient, oauth_provider: OAuthProvider
) -> None:
    await make_user(client, "alice")
    await make_user(client, "alice2")
    created = await sign_in_with(client, "acme")
    assert (await me(client, created.json()))["username"] == "alice3"

    oauth_provider.signed_in = ProviderUser("2002", "x", "", None)  # too short to be a name
    assert (await me(client, (await sign_in_with(client, "acme")).json()))["username"] == "player"


async def test_one_person_on_two_providers_gets_two_accounts_until_linked(
    client: httpx.AsyncClient,
) -> None:
    acme = (await sign_in_with(client, "acme")).json()
    forge = (await sign_in_with(client, "forge")).json()
    assert (await me(client, acme))["id"] != (await me(client, forge))["id"]
    assert (await me(client, forge))["username"] == "alice2"


async def test_a_callback_without_the_flow_cookie_or_with_another_state_is_refused(
    client: httpx.AsyncClient,
) -> None:
    callback = await started(client, "acme")
    no_cookie = await client.get(callback.url)
    assert no_cookie.status_code == 400
    assert no_cookie.json()["code"] == "oauth_state_invalid"

    other_flow = flow_cookie(await client.get("/api/auth/oauth/acme/"))
    crossed = await come_back(client, Callback(callback.url, other_flow))
    assert crossed.status_code == 400
    assert crossed.json()["code"] == "oauth_state_invalid"

    tampered = await come_back(client, Callback(callback.url, callback.flow_cookie[:-2] + "xx"))
    assert tampered.json()["code"] == "oauth_state_invalid"

    wrong_provider = await come_back(
        client, Callback(callback.url.replace("/acme/", "/forge/"), callback.flow_cookie)
    )
    assert wrong_provider.json()["code"] == "oauth_state_invalid"
    # The genuine pair still completes: nothing above used the code.
    assert (await come_back(client, callback)).status_code == 201


async def test_a_code_is_redeemed_once(client: httpx.AsyncClient) -> None:
    callback = await started(client, "acme")
    assert (await come_back(client, callback)).status_code == 201
    replayed = await come_back(client, callback)
    assert replayed.status_code == 400
    assert replayed.json()["code"] == "oauth_code_rejected"


async def test_a_refusal_at_the_provider_is_a_clear_error(client: httpx.AsyncClient) -> None:
    callback = await started(client, "acme")
    state = callback.query["state"]
    denied = await come_back(client, Callback(
        f"/api/auth/oauth/acme/callback/?state={state}&error=access_denied", callback.flow_cookie
    ))
    assert denied.status_code == 400
    assert denied.json()["code"] == "oauth_denied"
    assert "(access_denied)" in denied.json()["detail"]
    no_code = await come_back(client, Callback(
        f"/api/auth/oauth/acme/callback/?state={state}", callback.flow_cookie
    ))
    assert no_code.status_code == 400
    assert list(no_code.json()["errors"]) == ["code"]


async def test_an_unknown_provider_is_not_found(client: httpx.AsyncClient) -> None:
    for path in ("/api/auth/oauth/nowhere/", "/api/auth/oauth/nowhere/callback/?state=x&code=y"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"


async def test_the_provider_checks_verifier_secret_and_redirect_uri(
    client: httpx.AsyncClient, oauth_provider: OAuthProvider, node: Node
) -> None:
    """What keeps a stolen code useless, proven on the provider these tests trust."""
    code = (await started(client, "acme")).query["code"]
    redirect_uri = f"{node.http_url}/api/auth/oauth/acme/callback/"
    token_url = f"{oauth_provider.url}/token"

    async def redeem(auth: tuple[str, str], **changes: str) -> httpx.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "code_verifier": "v" * 43, **changes}
        return await client.post(token_url, data=form, auth=auth)

    genuine = ("courtside-acme", "acme-client-secret")
    assert (await redeem(genuine)).json()["error"] == "invalid_grant"  # not the PKCE verifier
    assert (await redeem(("courtside-acme", "guess"))).json()["error"] == "invalid_client"
    elsewhere = await redeem(genuine, redirect_uri="http://127.0.0.1:1/steal/")
    assert elsewhere.json()["error"] == "invalid_grant"
