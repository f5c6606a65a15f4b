"""/api/auth/: register, login, guest, guest registration, refresh, logout."""

from __future__ import annotations

import secrets
import msgspec
from quart import Blueprint, Response, make_response, request
from quart_schema import document_request, document_response, validate_request

from courtside.persistence import Users, UsernameTaken
from courtside.protocol import (
    AuthenticationFailed,
    Conflict,
    Forbidden,
    Throttled,
    ValidationFailed,
)

from ..bodies import optional_body
from ..responses import fails_with, no_content
from ..services import services
from . import rules
from .identity import current_user, public
from .passwords import hash_password, password_matches
from .sessions import (
    clear_session_cookies,
    end_session,
    open_session,
    require_csrf_token,
    rotate_session,
    Tokens,
    tokens_response,
)

blueprint = Blueprint("auth", __name__, url_prefix="/api/auth")

GUEST_NAME_ATTEMPTS = 3


class Registration(msgspec.Struct, frozen=True):
    username: str
    password: str
    email: str | None = None
    nickname: str | None = None


class Credentials(msgspec.Struct, frozen=True):
    username: str
    password: str


class RefreshToken(msgspec.Struct, frozen=True):
    refresh: str | None = None


class IncorrectPassword(AuthenticationFailed):
    code = "incorrect_password"
    detail = "Incorrect password."


def registration_errors(data: Registration) -> dict[str, list[str]]:
    errors = {
        "username": rules.username_errors(data.username),
        "password": rules.password_errors(data.password, data.username),
        "email": rules.email_errors(data.email) if data.email is not None else [],
        "nickname": rules.nickname_errors(data.nickname) if data.nickname is not None else [],
    }
    return {field: messages for field, messages in errors.items() if messages}


def _taken(username: str) -> ValidationFailed:
    return ValidationFailed(errors={"username": [f"The username '{username}' is already taken."]})


@blueprint.post("/register/")
@public
@validate_request(Registration)
@document_response(Tokens, 201)
async def register(data: Registration) -> Response:
    if errors := registration_errors(data):
        raise ValidationFailed(errors=errors)
    svc = services()
    password_hash = await hash_password(data.password)
    try:
        async with svc.database.transaction() as tx:
            user = await Users(tx).create(
                username=data.username,
                nickname=(data.nickname or data.username).strip(),
                email=data.email,
                password_hash=password_hash,
            )
            pair = await open_session(tx, svc.tokens, user)
    except UsernameTaken:
        raise _taken(data.username) from None
    return tokens_response(pair, 201)


@blueprint.post("/login/")
@public
@validate_request(Credentials)
@document_response(Tokens)
@fails_with(401)
async def login(data: Credentials) -> Response:
    svc = services()
    by_username, by_ip = data.username.lower(), request.remote_addr or "unknown"
    wait = max(
        svc.failed_logins_by_username.wait_time(by_username),
        svc.failed_logins_by_ip.wait_time(by_ip),
    )
    if wait:
        raise Throttled(wait)
    user = await Users(svc.database).by_username(data.username)
    if user is None or not await password_matches(user.password_hash, data.password):
        svc.failed_logins_by_username.take(by_username)
        svc.failed_logins_by_ip.take(by_ip)
        if user is None:
            raise AuthenticationFailed("No active account found with the given credentials.")
        raise IncorrectPassword()
    return tokens_response(await open_session(svc.database, svc.tokens, user), 200)


@blueprint.post("/guest/")
@public
@document_response(Tokens, 201)
@fails_with(409)
async def guest() -> Response:
    svc = services()
    # 56 random bits make a clash rare; a clash just draws another name.
    for _ in range(GUEST_NAME_ATTEMPTS):
        try:
            async with svc.database.transaction() as tx:
                user = await Users(tx).create(
                    username=f"guest_{secrets.token_hex(7)}",
                    nickname=f"Guest {secrets.randbelow(10_000):04d}",
                    is_guest=True,
                )
                pair = await open_session(tx, svc.tokens, user)
            return tokens_response(pair, 201)
        except UsernameTaken:
            continue
    raise Conflict("Could not allocate a guest name; try again.")


@blueprint.put("/register/guest/")
@validate_request(Registration)
@document_response(Tokens)
async def register_guest(data: Registration) -> Response:
    """Turn the calling guest into a registered user, keeping its history."""
    caller = current_user()
    if not caller.is_guest:
        raise Forbidden("Only a guest account can be registered.", code="not_a_guest")
    if errors := registration_errors(data):
        raise ValidationFailed(errors=errors)
    svc = services()
    password_hash = await hash_password(data.password)
    changes = {
        "username": data.username,
        "password_hash": password_hash,
        "is_guest": False,
        "email": data.email,
        "nickname": (data.nickname or data.username).strip(),
    }
    try:
        async with svc.database.transaction() as tx:
            user = await Users(tx).update(caller.id, changes)
            pair = await open_session(tx, svc.tokens, user)
    except UsernameTaken:
        raise _taken(data.username) from None
    return tokens_response(pair, 200)


async def _refresh_token() -> str:
    """From the body ``{"refresh": ...}``, else from the cookie (which needs CSRF)."""
    body = await optional_body(RefreshToken)
    if body.refresh:
        return body.refresh
    cookie = request.cookies.get("refresh")
    if not cookie:
        raise ValidationFailed(errors={"refresh": ["This field is required."]})
    require_csrf_token()
    return cookie


@blueprint.post("/refresh/")
@public
@document_request(RefreshToken)
@document_response(Tokens)
@fails_with(401, 403)
async def refresh() -> Response:
    svc = services()
    pair = await rotate_session(svc.database, svc.tokens, await _refresh_token())
    return tokens_response(pair, 200)


@blueprint.post("/logout/")
@document_request(RefreshToken)
@no_content("Signed out: the session's tokens are revoked and its cookies cleared")
async def logout() -> Response:
    svc = services()
    await end_session(svc.database, svc.tokens, await _refresh_token(), current_user())
    response = await make_response("", 204)
    clear_session_cookies(response)
    return response
