"""One OAuth sign-in under way, kept by the browser in a signed, short-lived cookie.

The cookie holds the ``state`` the callback must echo, the PKCE verifier, the
OpenID nonce and, for a link, the account to link to. It is HttpOnly and scoped
to /api/auth/oauth/; SameSite=Lax rather than Strict, because the provider's
redirect back is a cross-site navigation that a Strict cookie would not follow.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import jwt
from quart import Response

from courtside.protocol import ValidationFailed

FLOW_COOKIE = "oauth_flow"
FLOW_PATH = "/api/auth/oauth/"
FLOW_LIFETIME = timedelta(minutes=10)
_TYPE = "oauth_flow"  # never mistaken for an access or refresh token, signed by the same key


class StateInvalid(ValidationFailed):
    code = "oauth_state_invalid"
    detail = "This sign-in was not started from this browser, or took too long; start again."


@dataclass(frozen=True, slots=True)
class Flow:
    provider: str
    state: str
    verifier: str
    nonce: str
    link_user_id: int | None = None  # None: sign in (or sign up); else link to this account

    @classmethod
    def start(cls, provider: str, link_user_id: int | None = None) -> Flow:
        # PKCE verifiers are 43-128 characters: 32 random bytes make 43.
        return cls(provider, secrets.token_urlsafe(24), secrets.token_urlsafe(32),
                   secrets.token_urlsafe(24), link_user_id)


class FlowSeal:
    def __init__(self, secret_key: str) -> None:
        self._key = secret_key

    def seal(self, flow: Flow) -> str:
        now = int(time.time())
        return jwt.encode(
            {"typ": _TYPE, "iat": now, "exp": now + int(FLOW_LIFETIME.total_seconds()),
             "prv": flow.provider, "state": flow.state, "pkce": flow.verifier,
             "nonce": flow.nonce, "link": flow.link_user_id},
            self._key, algorithm="HS256",
        )

    def open(self, sealed: str | None, *, provider: str, state: str | None) -> Flow:
        """The flow this callback completes; StateInvalid unless cookie and state agree."""
        if not sealed or not state:
            raise StateInvalid()
        try:
            claims = jwt.decode(sealed, self._key, algorithms=["HS256"],
                                options={"require": ["typ", "exp", "prv", "state", "pkce"]})
        except jwt.InvalidTokenError:
            raise StateInvalid() from None
        if claims["typ"] != _TYPE or claims["prv"] != provider:
            raise StateInvalid()
        if not hmac.compare_digest(str(claims["state"]), state):
            raise StateInvalid()
        return Flow(provider, claims["state"], claims["pkce"], claims.get("nonce", ""),
                    claims.get("link"))


def set_flow_cookie(response: Response, sealed: str) -> None:
    response.set_cookie(FLOW_COOKIE, sealed, max_age=int(FLOW_LIFETIME.total_seconds()),
                        path=FLOW_PATH, secure=True, httponly=True, samesite="Lax")


def clear_flow_cookie(response: Response) -> None:
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=True, httponly=True,
                           samesite="Lax")
