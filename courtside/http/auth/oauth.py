"""/api/auth/oauth/: sign in, sign up, link and unlink with OAuth 2.0 providers.

Authorization-code flow with PKCE (S256) and ``state``, plus the nonce for
OpenID Connect. ``GET <name>/`` sends the browser to the provider, which sends
it back to ``GET <name>/callback/``; that completes the sign-in as login does.
A signed-in user starts a link with ``POST <name>/`` instead; ``linked/``
lists what is linked (no provider may be called "linked").
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

import msgspec
from quart import Blueprint, Response, jsonify, make_response, redirect, request
from quart_schema import document_response, validate_querystring, validate_response

from courtside.persistence import (
    IdentityTaken,
    OAuthIdentities,
    ProviderAlreadyLinked,
    Unlinking,
    Users,
)
from courtside.protocol import Conflict, Forbidden, NotFound, ValidationFailed

from ..responses import Shown, fails_with, no_content, redirects
from ..services import services
from .identity import current_user, public
from .oauth_accounts import account_for
from .oauth_client import Provider
from .oauth_flow import FLOW_COOKIE, Flow, clear_flow_cookie, set_flow_cookie
from .sessions import SignedIn, open_session, tokens_response

blueprint = Blueprint("oauth", __name__, url_prefix="/api/auth/oauth")

_ERROR_CODE = re.compile(r"[a-z_]{1,64}")


class ProviderName(Shown):
    name: str


class Providers(Shown):
    """The providers this server signs in with."""

    providers: list[ProviderName]


class LinkedProvider(Shown):
    provider: str
    linked_at: datetime


class LinkedProviders(Shown):
    """The caller's linked providers, and whether a password is another way in."""

    linked: list[LinkedProvider]
    has_password: bool


class AuthorizeUrl(Shown):
    """Where to send the browser to link the provider."""

    authorize_url: str


class Linked(Shown):
    """The callback of a link: the provider is linked to the calling account."""

    provider: str
    linked: Literal[True]


class CallbackQuery(msgspec.Struct, frozen=True):
    """What the provider sends the browser back with: a ``code`` or an ``error``."""

    state: str | None = None
    code: str | None = None
    error: str | None = None


class ProviderDenied(ValidationFailed):
    code = "oauth_denied"
    detail = "The sign-in was refused at the provider."


def _redirect_uri(provider: Provider) -> str:
    return services().public_url.join(f"/api/auth/oauth/{provider.name}/callback/")


async def _started(provider: Provider, flow: Flow) -> tuple[str, str]:
    """The provider's authorization URL for ``flow``, and the flow's sealed cookie."""
    url = await provider.authorization_url(
        redirect_uri=_redirect_uri(provider), state=flow.state, verifier=flow.verifier,
        nonce=flow.nonce,
    )
    return url, services().oauth.flows.seal(flow)


@blueprint.get("/")
@public
@validate_response(Providers)
async def providers() -> Providers:
    return Providers([ProviderName(name) for name in services().oauth.names])


@blueprint.get("/linked/")
@validate_response(LinkedProviders)
async def linked() -> LinkedProviders:
    """The caller's linked providers, and whether a password is another way in."""
    caller = current_user()
    identities = await OAuthIdentities(services().database).linked(caller.id)
    return LinkedProviders([LinkedProvider(i.provider, i.linked_at) for i in identities],
                           has_password=caller.password_hash is not None)


@blueprint.get("/<name>/")
@public
@redirects("To the provider's sign-in page")
@fails_with(502)
async def sign_in(name: str) -> Response:
    provider = services().oauth.find(name)
    url, sealed = await _started(provider, Flow.start(provider.name))
    response = redirect(url, 302)
    set_flow_cookie(response, sealed)
    return response


@blueprint.post("/<name>/")
@document_response(AuthorizeUrl)
@fails_with(502)
async def start_link(name: str) -> Response:
    """Link a provider to the calling account: the client sends the browser on."""
    provider = services().oauth.find(name)
    caller = current_user()
    if caller.is_guest:
        raise Forbidden("Guests cannot link a sign-in provider; register first.",
                        code="guest_account")
    url, sealed = await _started(provider, Flow.start(provider.name, link_user_id=caller.id))
    response = jsonify(msgspec.to_builtins(AuthorizeUrl(url)))
    set_flow_cookie(response, sealed)
    return response


@blueprint.get("/<name>/callback/")
@public
@validate_querystring(CallbackQuery)
@document_response(SignedIn | Linked)
@document_response(SignedIn, 201)
@fails_with(409, 502)
async def callback(name: str, query_args: CallbackQuery) -> Response:
    svc = services()
    provider = svc.oauth.find(name)
    flow = svc.oauth.flows.open(
        request.cookies.get(FLOW_COOKIE), provider=provider.name, state=query_args.state
    )
    if error := query_args.error:
        # Only the RFC 6749 error code, not the provider's free text, goes into our answer.
        reason = error if _ERROR_CODE.fullmatch(error) else "error"
        raise ProviderDenied(f"The sign-in was refused at the provider ({reason}).")
    code = query_args.code
    if not code:
        raise ValidationFailed(errors={"code": ["This field is required."]})
    profile = await provider.profile(
        code=code, redirect_uri=_redirect_uri(provider), verifier=flow.verifier, nonce=flow.nonce
    )
    if flow.link_user_id is not None:
        await _link(flow.link_user_id, provider, profile.subject)
        response = jsonify(msgspec.to_builtins(Linked(provider.name, linked=True)))
    else:
        user, created = await account_for(svc.database, provider.name, profile)
        pair = await open_session(svc.database, svc.tokens, user)
        response = tokens_response(pair, 201 if created else 200, created=created)
    clear_flow_cookie(response)
    return response


async def _link(user_id: int, provider: Provider, subject: str) -> None:
    """Link the provider account to ``user_id``; linking it again changes nothing."""
    database = services().database
    if await Users(database).get(user_id) is None:
        raise NotFound("The account to link no longer exists.")
    identities = OAuthIdentities(database)
    if await identities.user_of(provider.name, subject) == user_id:
        return
    try:
        await identities.link(user_id, provider.name, subject)
    except IdentityTaken:
        raise Conflict(f"This {provider.name} account already signs into another account.",
                       code="oauth_identity_taken") from None
    except ProviderAlreadyLinked:
        raise Conflict(f"Another {provider.name} account is already linked; unlink it first.",
                       code="oauth_provider_linked") from None


@blueprint.delete("/<name>/")
@no_content("Unlinked")
@fails_with(409)
async def unlink(name: str) -> Response:
    svc = services()
    provider = svc.oauth.find(name)
    async with svc.database.transaction() as tx:
        outcome = await OAuthIdentities(tx).unlink(current_user().id, provider.name)
    if outcome is Unlinking.NOT_LINKED:
        raise NotFound(f"No {provider.name} account is linked to yours.")
    if outcome is Unlinking.LAST_WAY_IN:
        raise Conflict(
            f"{provider.name} is this account's only way to sign in; set a password"
            " (password reset) or link another provider first.",
            code="last_sign_in_method",
        )
    return await make_response("", 204)
