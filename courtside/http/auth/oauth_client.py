"""The client side of OAuth 2.0 (RFC 6749, PKCE RFC 7636) and OpenID Connect.

One ``Provider`` per configured name: where its endpoints are (from discovery,
fetched once, or from settings), the authorization URL, the code exchange and
the userinfo call. Every call has a timeout; whatever the provider answers, the
caller gets a profile or an ``ApiError`` (502 for a provider at fault, 400 for
a code it refused), never an unexpected exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlencode

import httpx
import jwt
import trio

from courtside.protocol import ApiError, NotFound, ValidationFailed

from .oauth_flow import FlowSeal

HTTP_TIMEOUT = httpx.Timeout(10.0)
OIDC_SCOPE = "openid profile email"
_DISCOVERED = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "issuer")


class ProviderSettings(Protocol):
    """What the configuration holds per provider (server.config.OAuthProviderSettings)."""

    name: str
    client_id: str
    client_secret: str
    discovery_url: str | None
    authorize_url: str | None
    token_url: str | None
    userinfo_url: str | None
    scope: str | None


class ProviderFailed(ApiError):
    status = 502
    code = "oauth_provider_error"
    detail = "The sign-in provider did not answer as expected; try again later."


class CodeRejected(ValidationFailed):
    code = "oauth_code_rejected"
    detail = "The sign-in provider refused this sign-in (used or expired); start again."


@dataclass(frozen=True, slots=True)
class Endpoints:
    authorize: str
    token: str
    userinfo: str
    issuer: str | None = None  # OpenID Connect only: what the ID token's iss must be
    # client_secret_basic, the default of OpenID Connect; else client_secret_post,
    # which GitHub and the 42 intra document.
    secret_in_basic_auth: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    """Who signed in at the provider: its stable subject, and what it tells of them."""

    subject: str
    username: str | None
    name: str | None
    email: str | None


def code_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Provider:
    def __init__(self, settings: ProviderSettings) -> None:
        self.name = settings.name
        self._settings = settings
        self.is_openid = settings.discovery_url is not None
        self._endpoints: Endpoints | None = None
        if not self.is_openid:
            assert settings.authorize_url and settings.token_url and settings.userinfo_url
            self._endpoints = Endpoints(settings.authorize_url, settings.token_url,
                                        settings.userinfo_url)
        self._discovering = trio.Lock()

    @property
    def scope(self) -> str:
        if self._settings.scope is not None:
            return self._settings.scope
        return OIDC_SCOPE if self.is_openid else ""

    async def endpoints(self) -> Endpoints:
        """From settings, or from the discovery document, fetched at first use and kept."""
        async with self._discovering:
            if self._endpoints is None:
                document = await self._call("GET", self._settings.discovery_url or "")
                urls = [document.get(key) for key in _DISCOVERED]
                if not all(isinstance(url, str) for url in urls):
                    raise ProviderFailed("The provider's discovery document is incomplete.")
                methods = document.get("token_endpoint_auth_methods_supported")
                self._endpoints = Endpoints(
                    *urls,
                    # Basic is OpenID Connect's default when the document names none.
                    secret_in_basic_auth=not isinstance(methods, list)
                    or "client_secret_basic" in methods,
                )
            return self._endpoints

    async def authorization_url(
        self, *, redirect_uri: str, state: str, verifier: str, nonce: str
    ) -> str:
        query = {
            "response_type": "code",
            "client_id": self._settings.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge(verifier),
            "code_challenge_method": "S256",
        }
        if self.scope:
            query["scope"] = self.scope
        if self.is_openid:
            query["nonce"] = nonce
        authorize = (await self.endpoints()).authorize
        return f"{authorize}{'&' if '?' in authorize else '?'}{urlencode(query)}"

    async def profile(
        self, *, code: str, redirect_uri: str, verifier: str, nonce: str
    ) -> Profile:
        """Exchange the code (with the PKCE verifier) and read who signed in."""
        endpoints = await self.endpoints()
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": redirect_uri, "code_verifier": verifier}
        client_id, secret = self._settings.client_id, self._settings.client_secret
        if endpoints.secret_in_basic_auth:
            # RFC 6749 §2.3.1: id and secret are form-encoded before Basic encoding.
            credentials = (quote(client_id, safe=""), quote(secret, safe=""))
            tokens = await self._call("POST", endpoints.token, auth=credentials, data=form)
        else:
            form |= {"client_id": client_id, "client_secret": secret}
            tokens = await self._call("POST", endpoints.token, data=form)
        access_token = tokens.get("access_token")
        if not isinstance(access_token, str):
            raise ProviderFailed("The provider's token answer has no access token.")
        id_subject = self._id_token_subject(tokens, endpoints, nonce) if self.is_openid else None
        info = await self._call(
            "GET", endpoints.userinfo, headers={"Authorization": f"Bearer {access_token}"}
        )
        return _profile(info, id_subject)

    def _id_token_subject(self, tokens: dict[str, Any], endpoints: Endpoints, nonce: str) -> str:
        """The subject of the ID token, once its issuer, audience, expiry and nonce hold.

        The token came straight from the token endpoint over the connection we
        opened, so, as OpenID Connect Core §3.1.3.7 allows, that connection
        vouches for its issuer in place of a signature check.
        """
        try:
            claims = jwt.decode(
                tokens["id_token"], options={"verify_signature": False, "require": ["sub", "exp"]},
                audience=self._settings.client_id, issuer=endpoints.issuer,
            )
        except (KeyError, jwt.InvalidTokenError):
            raise ProviderFailed("The provider's ID token is missing or not valid.") from None
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise ProviderFailed("The provider's ID token is not for this sign-in (nonce).")
        return str(claims["sub"])

    async def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        try:
            async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
                response = await http.request(method, url, headers=headers, **kwargs)
            body = response.json()
        except (httpx.HTTPError, ValueError):
            raise ProviderFailed() from None
        if not isinstance(body, dict):
            raise ProviderFailed()
        if response.status_code == 400 and body.get("error") == "invalid_grant":
            raise CodeRejected()
        if response.status_code != 200:
            reason = body.get("error", response.status_code)
            raise ProviderFailed(f"The sign-in provider refused the request ({reason}).")
        return body


def _profile(info: dict[str, Any], id_subject: str | None) -> Profile:
    # OpenID Connect names the subject "sub"; GitHub and the 42 intra name it "id".
    subject = info.get("sub", info.get("id"))
    if subject is None or isinstance(subject, (dict, list, bool)):
        raise ProviderFailed("The provider's user information names no account.")
    if id_subject is not None and str(subject) != id_subject:
        raise ProviderFailed("The provider's user information is for another account.")
    email = info.get("email")
    verified = info.get("email_verified", True) is not False
    return Profile(
        subject=str(subject),
        username=_text(info.get("preferred_username") or info.get("login") or info.get("nickname")),
        name=_text(info.get("name")),
        email=email if isinstance(email, str) and verified else None,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


class OAuthProviders:
    """The configured providers by name, and the seal of flows under way."""

    def __init__(self, providers: Iterable[Provider], *, secret_key: str) -> None:
        self._by_name = {provider.name: provider for provider in providers}
        self.flows = FlowSeal(secret_key)

    @property
    def names(self) -> list[str]:
        return sorted(self._by_name)

    def find(self, name: str) -> Provider:
        provider = self._by_name.get(name)
        if provider is None:
            raise NotFound(f"No sign-in provider is called '{name}'.")
        return provider
