"""Who is calling: every route requires a valid access token unless marked public.

Default-deny means a route added later is protected without anyone remembering
to protect it; the route-table test proves it for every route.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from quart import current_app, g, request

from courtside.persistence import Database, User, Users
from courtside.protocol import AuthenticationFailed, NotAuthenticated

from ..bodies import UNSAFE_METHODS
from ..services import services
from .sessions import require_csrf_token
from .tokens import TokenNotValid, TokenSigner

F = TypeVar("F", bound=Callable[..., object])

# Registered by Quart and quart-schema rather than by us.
_FRAMEWORK_PUBLIC = frozenset({"static", "openapi", "swagger_ui"})


class UserNotFound(AuthenticationFailed):
    code = "user_not_found"
    detail = "User not found"


def public(view: F) -> F:
    """Mark a view as reachable without authentication."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def is_public(endpoint: str | None) -> bool:
    if endpoint in _FRAMEWORK_PUBLIC:
        return True
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "is_public", False)


def access_token() -> tuple[str, bool] | None:
    """The access token of this request and whether it came from the cookie."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        return token.strip(), False
    cookie = request.cookies.get("access")
    return (cookie, True) if cookie else None


async def verified_user(tokens: TokenSigner, database: Database, token: str) -> User:
    """The user an access token names; ApiError if it is forged, expired or revoked."""
    claims = tokens.verify(token, "access")
    user = await Users(database).get(claims.user_id)
    if user is None:
        raise UserNotFound()
    if claims.version != user.token_version:
        raise TokenNotValid("Token has been revoked.")
    return user


async def authenticate() -> None:
    """before_request: resolve the caller into ``g.user`` or refuse with 401/403."""
    if request.url_rule is None or is_public(request.endpoint):
        return  # unknown routes answer 404, public ones need no caller
    found = access_token()
    if found is None:
        raise NotAuthenticated()
    token, from_cookie = found
    svc = services()
    user = await verified_user(svc.tokens, svc.database, token)
    if from_cookie and request.method in UNSAFE_METHODS:
        require_csrf_token()
    g.user = user


def current_user() -> User:
    """The authenticated caller of a protected route."""
    return g.user
