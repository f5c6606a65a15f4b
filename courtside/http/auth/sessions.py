"""Sessions: a refresh-token family per login, tokens in the body AND in cookies."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass

import msgspec
from quart import Response, jsonify, request

from courtside.persistence import Database, Executor, RefreshTokens, Rotation, User, Users
from courtside.protocol import Forbidden

from ..responses import Shown
from .tokens import ACCESS_LIFETIME, REFRESH_LIFETIME, RefreshGrant, TokenNotValid, TokenSigner

CSRF_COOKIE = "csrftoken"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True, slots=True)
class TokenPair:
    access: str
    refresh: RefreshGrant


async def open_session(db: Executor, signer: TokenSigner, user: User) -> TokenPair:
    """A new refresh-token family for ``user`` (a login, a registration)."""
    grant = signer.refresh(user.id, uuid.uuid4())
    await RefreshTokens(db).issue(
        user.id, family=grant.family, jti=grant.jti, expires_at=grant.expires_at
    )
    return TokenPair(signer.access(user.id, user.token_version), grant)


async def rotate_session(database: Database, signer: TokenSigner, refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair; a reused one revokes its family."""
    claims = signer.verify(refresh_token, "refresh")
    assert claims.family is not None
    grant = signer.refresh(claims.user_id, claims.family)
    async with database.transaction() as tx:
        outcome, user_id, _ = await RefreshTokens(tx).rotate(
            claims.jti, new_jti=grant.jti, new_expires_at=grant.expires_at
        )
        user = await Users(tx).get(claims.user_id) if outcome is Rotation.ROTATED else None
    if outcome is Rotation.REUSED:
        raise TokenNotValid("Token was already used; every session of its family is revoked.")
    if user is None or user_id != claims.user_id:
        raise TokenNotValid()
    return TokenPair(signer.access(user.id, user.token_version), grant)


async def end_session(db: Executor, signer: TokenSigner, refresh_token: str, user: User) -> None:
    """Revoke the family of ``refresh_token``, which must be one of ``user``'s."""
    claims = signer.verify(refresh_token, "refresh")
    if claims.user_id != user.id:
        raise Forbidden("This refresh token belongs to another account.")
    assert claims.family is not None
    await RefreshTokens(db).revoke_family(claims.family)


async def end_every_session(db: Executor, user_id: int) -> None:
    """Password change, account deletion: no token issued before now works again."""
    await Users(db).end_all_sessions(user_id)
    await RefreshTokens(db).revoke_all(user_id)


class Tokens(Shown):
    """A new session's tokens, also set as cookies (with the CSRF cookie) for a browser."""

    access: str
    refresh: str


class SignedIn(Tokens, frozen=True):
    """A sign-in with a provider: ``created`` when it made a new account (201)."""

    created: bool


def tokens_response(pair: TokenPair, status: int, created: bool | None = None) -> Response:
    tokens = (Tokens(pair.access, pair.refresh.token) if created is None
              else SignedIn(pair.access, pair.refresh.token, created))
    response = jsonify(msgspec.to_builtins(tokens))
    response.status_code = status
    set_session_cookies(response, pair)
    return response


def set_session_cookies(response: Response, pair: TokenPair) -> None:
    cookie = {"secure": True, "samesite": "Strict", "path": "/"}
    response.set_cookie("access", pair.access, max_age=int(ACCESS_LIFETIME.total_seconds()),
                        httponly=True, **cookie)
    response.set_cookie("refresh", pair.refresh.token,
                        max_age=int(REFRESH_LIFETIME.total_seconds()), httponly=True, **cookie)
    # Readable by the page, which echoes it in X-CSRF-Token (double submit).
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32),
                        max_age=int(REFRESH_LIFETIME.total_seconds()), httponly=False, **cookie)


def clear_session_cookies(response: Response) -> None:
    for name in ("access", "refresh", CSRF_COOKIE):
        response.delete_cookie(name, path="/", secure=True, samesite="Strict",
                               httponly=name != CSRF_COOKIE)


def require_csrf_token() -> None:
    """A cookie-authenticated unsafe request must echo the csrftoken cookie."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    given = request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(expected, given):
        raise Forbidden("CSRF token missing or incorrect.", code="csrf_failed")
