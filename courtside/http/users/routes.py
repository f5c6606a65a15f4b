"""/api/users/: me (read, update, delete), profiles, search, data export."""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Blueprint, Response, jsonify, make_response, request
from quart_schema import document_request, document_response, validate_querystring, validate_request, validate_response

from courtside.persistence import Chats, RefreshTokens, Social, User, Users, UsernameTaken
from courtside.persistence.match_history import TrophyChange
from courtside.persistence.refresh_tokens import Session
from courtside.persistence.notifications import Notifications
from courtside.persistence.world_chat import WorldChatMembers
from courtside.protocol import AuthenticationFailed, Forbidden, NotFound, ValidationFailed

from ..auth import rules
from ..auth.identity import current_user
from ..auth.passwords import hash_password, password_matches
from ..auth.routes import IncorrectPassword
from ..bodies import optional_body
from ..auth.sessions import (
    clear_session_cookies,
    end_every_session,
    open_session,
    set_session_cookies,
)
from ..live.events import ACCOUNT_DELETED
from ..pagination import PageQuery, paginated
from ..play.stats import ModeStats, stats_of
from ..responses import Shown, no_content, page_of
from ..services import services
from ..social import events
from .data_export import chat_export, game_export, social_export, trophy_history_export
from .profiles import MeProfile, PublicProfile, me_profile, public_profile

blueprint = Blueprint("users", __name__, url_prefix="/api/users")

UNSET: Any = msgspec.UNSET


class MeUpdate(msgspec.Struct, frozen=True):
    username: str | msgspec.UnsetType = UNSET
    nickname: str | msgspec.UnsetType = UNSET
    bio: str | msgspec.UnsetType = UNSET
    email: str | None | msgspec.UnsetType = UNSET
    password: str | msgspec.UnsetType = UNSET
    old_password: str | msgspec.UnsetType = UNSET
    accept_friend_request: bool | msgspec.UnsetType = UNSET
    accept_chat_from: str | msgspec.UnsetType = UNSET


class MeUpdated(MeProfile, kw_only=True):
    """The caller after the change; with a new token pair when the password changed
    (every other session ended)."""

    access: str | msgspec.UnsetType = UNSET
    refresh: str | msgspec.UnsetType = UNSET


class UsersQuery(PageQuery, frozen=True):
    q: str = ""  # in usernames and nicknames
    exclude_me: bool = False
    online: bool = False  # only the users online


class DataExport(Shown):
    """Everything we hold on the caller; each section as the endpoint that serves it."""

    user_data: MeProfile
    profile_pictures_data: list[dict[str, str]]
    sessions: list[Session]
    friends_data: dict[str, list[dict[str, Any]]]
    stats_data: list[ModeStats]
    trophy_history_data: list[TrophyChange]
    chat_data: list[dict[str, Any]]
    game_data: dict[str, list[dict[str, Any]]]


class PasswordConfirmation(msgspec.Struct, frozen=True):
    password: str | None = None


class PasswordConfirmationRequired(AuthenticationFailed):
    code = "password_confirmation_required"
    detail = "Password confirmation is required."


# Only registered accounts have a name of their own, a password and an email.
_REGISTERED_ONLY = ("username", "password", "email")


async def _me(user: User) -> dict[str, Any]:
    svc = services()
    presence = (await svc.bus.presence([user.id]))[user.id]
    pending = await Social(svc.database).pending_received(user.id)
    unread_chats = await Chats(svc.database).chats_with_unread(user.id)
    return me_profile(user, svc.avatars, presence, friend_requests=pending, chats=unread_chats)


@blueprint.get("/me/")
@validate_response(MeProfile)
async def me() -> dict[str, Any]:
    return await _me(current_user())


@blueprint.patch("/me/")
@validate_request(MeUpdate)
@document_response(MeUpdated)
async def update_me(data: MeUpdate) -> Response:
    caller = current_user()
    given = {field: getattr(data, field) for field in MeUpdate.__struct_fields__
             if getattr(data, field) is not UNSET}
    if caller.is_guest and (refused := [f for f in _REGISTERED_ONLY if f in given]):
        raise Forbidden(
            f"Guests cannot set {', '.join(refused)}; register the guest account first.",
            code="guest_account",
        )
    errors = _update_errors(given, caller.username)
    if errors:
        raise ValidationFailed(errors=errors)

    changes = {k: v for k, v in given.items() if k not in ("password", "old_password")}
    for trimmed in ("nickname", "bio"):
        if trimmed in changes:
            changes[trimmed] = changes[trimmed].strip()
    if "password" in given:
        if "old_password" not in given:
            raise ValidationFailed(errors={"old_password": ["Required to change the password."]})
        if not await password_matches(caller.password_hash, given["old_password"]):
            raise IncorrectPassword()
        changes["password_hash"] = await hash_password(given["password"])

    svc = services()
    try:
        async with svc.database.transaction() as tx:
            user = await Users(tx).update(caller.id, changes)
            pair = None
            if "password_hash" in changes:
                # Every other session ends; this one continues on fresh tokens.
                await end_every_session(tx, caller.id)
                user = await Users(tx).get(caller.id)
                assert user is not None
                pair = await open_session(tx, svc.tokens, user)
    except UsernameTaken:
        raise ValidationFailed(
            errors={"username": [f"The username '{given['username']}' is already taken."]}
        ) from None
    body = await _me(user)
    if pair is None:
        return jsonify(msgspec.to_builtins(msgspec.convert(body, MeUpdated)))
    # Live sockets were opened on the revoked tokens: they close (4401) and the
    # client reconnects on the new ones.
    svc.bus.end_connections(caller.id)
    updated = msgspec.convert({**body, "access": pair.access, "refresh": pair.refresh.token},
                              MeUpdated)
    response = jsonify(msgspec.to_builtins(updated))
    set_session_cookies(response, pair)
    return response


def _update_errors(given: dict[str, Any], current_username: str) -> dict[str, list[str]]:
    username = given.get("username", current_username)
    checks = {
        "username": rules.username_errors,
        "nickname": rules.nickname_errors,
        "bio": rules.bio_errors,
        "email": lambda email: rules.email_errors(email) if email is not None else [],
        "password": lambda password: rules.password_errors(password, username),
        "accept_chat_from": rules.accept_chat_from_errors,
    }
    errors = {field: check(given[field]) for field, check in checks.items() if field in given}
    return {field: messages for field, messages in errors.items() if messages}


@blueprint.delete("/me/")
@document_request(PasswordConfirmation)
@no_content("The account is deleted and its sessions end")
async def delete_me() -> Response:
    """Delete the account: personal data and social ties go, others' history stays.

    Others' history keeps an anonymous row; former friends and requesters are told.
    """
    caller = current_user()
    if not caller.is_guest:
        confirmation = await optional_body(PasswordConfirmation)
        if not confirmation.password:
            raise PasswordConfirmationRequired()
        if not await password_matches(caller.password_hash, confirmation.password):
            raise IncorrectPassword()
    svc = services()
    async with svc.database.transaction() as tx:
        await end_every_session(tx, caller.id)
        await Users(tx).anonymise(caller.id)
        severed = await Social(tx).sever_all(caller.id)
        await Notifications(tx).delete_all(caller.id)
        await WorldChatMembers(tx).leave(caller.id)
    events.ties_severed(severed, caller.id)
    # The account's other tabs and devices hear it is gone, then their sockets close.
    svc.bus.publish_to_user(caller.id, ACCOUNT_DELETED, {"id": caller.id})
    await svc.avatars.remove(caller.avatar)
    response = await make_response("", 204)
    clear_session_cookies(response)
    return response


@blueprint.get("/<int:user_id>/")
@validate_response(PublicProfile)
async def user_profile(user_id: int) -> dict[str, Any]:
    """A user's profile; someone who blocked the caller is hidden, as if not there."""
    svc = services()
    user = await Users(svc.database).get(user_id)
    if user is None:
        raise NotFound("User not found.")
    relationship = await Social(svc.database).relationship(current_user().id, user_id)
    if relationship.blocked_by:
        raise NotFound("User not found.")
    presence = (await svc.bus.presence([user.id]))[user.id]
    chat_id = await Chats(svc.database).dialogue_between(current_user().id, user_id)
    return public_profile(user, svc.avatars, presence, relationship, chat_id)


@blueprint.get("/")
@validate_querystring(UsersQuery)
@validate_response(page_of(PublicProfile))
async def search_users(query_args: UsersQuery) -> dict[str, Any]:
    """``?q=`` on username and nickname; ``exclude_me``; ``online`` (presence).

    Users who blocked the caller are never found.
    """
    page = query_args.page
    svc = services()
    caller = current_user()
    social = Social(svc.database)
    hidden = await social.blocker_ids(caller.id)
    if query_args.exclude_me:
        hidden.append(caller.id)
    count, users = await Users(svc.database).search(
        query_args.q, exclude_ids=hidden,
        among=await svc.bus.online_user_ids() if query_args.online else None,
        limit=page.limit, offset=page.offset,
    )
    found_ids = [user.id for user in users]
    presence = await svc.bus.presence(found_ids)
    relationships = await social.relationships(caller.id, found_ids)
    dialogues = await Chats(svc.database).dialogues_with(caller.id, found_ids)
    results = [public_profile(user, svc.avatars, presence[user.id], relationships[user.id],
                              dialogues.get(user.id))
               for user in users]
    return paginated(request.url, page, count, results)


@blueprint.get("/me/download-data/")
@document_response(DataExport)
async def download_data() -> Response:
    """Everything we hold on the caller, as one JSON file."""
    caller = current_user()
    svc = services()
    sessions = await RefreshTokens(svc.database).live_sessions(caller.id)
    export = {
        "user_data": await _me(caller),
        "profile_pictures_data": [svc.avatars.urls(caller.avatar)] if caller.avatar else [],
        "sessions": [msgspec.to_builtins(session) for session in sessions],
        "friends_data": await social_export(caller.id),
        "stats_data": await stats_of(caller.id),
        "trophy_history_data": await trophy_history_export(caller.id),
        "chat_data": await chat_export(caller.id),
        "game_data": await game_export(caller.id),
    }
    response = jsonify(msgspec.to_builtins(msgspec.convert(export, DataExport)))
    response.headers["Content-Disposition"] = (
        f'attachment; filename="courtside-{caller.username}-data.json"'
    )
    return response

