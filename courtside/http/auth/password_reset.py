"""/api/auth/password-reset/: a single-use link by mail, then a new password.

The request always answers 202, whether the address has an account or not, so
it tells no one which addresses are registered; the mail is queued, never
waited for.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import msgspec
from quart import Blueprint, Response, make_response, request
from quart_schema import validate_request

from courtside.persistence import PasswordResets, ResetAccount, Users
from courtside.protocol import Throttled, ValidationFailed

from ..public_url import PublicUrl
from ..responses import bodiless, no_content
from ..services import services
from . import rules
from .identity import public
from .mail import Mail
from .passwords import hash_password
from .sessions import end_every_session

log = logging.getLogger(__name__)

blueprint = Blueprint("password_reset", __name__, url_prefix="/api/auth/password-reset")

LINK_LIFETIME = timedelta(minutes=30)
# Where the link leads: the client's page, which posts the token to /confirm/.
LINK_PATH = "/password-reset/"


class ResetRequest(msgspec.Struct, frozen=True):
    email: str


class ResetConfirmation(msgspec.Struct, frozen=True):
    token: str
    password: str


class ResetTokenInvalid(ValidationFailed):
    code = "reset_token_invalid"
    detail = "This reset link is invalid, already used or expired."


def token_hash(token: str) -> bytes:
    # The token carries 256 random bits: a fast hash is enough, no salt needed.
    return hashlib.sha256(token.encode()).digest()


def reset_mail(to: str, links: list[tuple[ResetAccount, str]]) -> Mail:
    accounts = "\n\n".join(f"Account {account.username}:\n{link}" for account, link in links)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return Mail(
        to=to,
        subject="Reset your Courtside password",
        text=(
            "Someone asked to reset the password of your Courtside account. To choose a new"
            f" password, open this link within {minutes} minutes; it works once.\n\n{accounts}\n\n"
            "If it was not you, ignore this mail: your password stays as it is.\n"
        ),
    )


@blueprint.post("/")
@public
@validate_request(ResetRequest)
@bodiless(202, "Accepted: a link goes to the address if an account has it")
async def request_reset(data: ResetRequest) -> Response:
    if errors := rules.email_errors(data.email):
        raise ValidationFailed(errors={"email": errors})
    svc = services()
    if wait := svc.password_resets_by_ip.take(request.remote_addr or "unknown"):
        raise Throttled(wait)
    # Counted whether or not an account has it, and answered alike over the limit:
    # the answer never depends on the address.
    if svc.password_resets_by_address.take(data.email.lower()):
        log.info("password reset for an address over its limit: no mail sent")
    else:
        await _send_links(data.email, svc.public_url)
    return await make_response("", 202)


async def _send_links(email: str, public_url: PublicUrl) -> None:
    svc = services()
    expires_at = datetime.now(UTC) + LINK_LIFETIME
    links = []
    async with svc.database.transaction() as tx:
        resets = PasswordResets(tx)
        for account in await resets.accounts_of(email):
            token = secrets.token_urlsafe(32)
            await resets.issue(account.id, token_hash(token), expires_at)
            links.append((account, public_url.join(f"{LINK_PATH}?{urlencode({'token': token})}")))
    if links:
        svc.mailer.send(reset_mail(email, links))


@blueprint.post("/confirm/")
@public
@validate_request(ResetConfirmation)
@no_content("The password is changed and every session ended")
async def confirm_reset(data: ResetConfirmation) -> Response:
    """Set the new password; every session of the account ends, live sockets too."""
    svc = services()
    digest = token_hash(data.token)
    user_id = await PasswordResets(svc.database).holder(digest)
    user = await Users(svc.database).get(user_id) if user_id is not None else None
    if user is None:
        raise ResetTokenInvalid()
    if errors := rules.password_errors(data.password, user.username):
        raise ValidationFailed(errors={"password": errors})  # the link stays usable
    password_hash = await hash_password(data.password)
    async with svc.database.transaction() as tx:
        if await PasswordResets(tx).redeem(digest) != user.id:
            raise ResetTokenInvalid()  # used meanwhile by a concurrent confirmation
        await Users(tx).update(user.id, {"password_hash": password_hash})
        await end_every_session(tx, user.id)
    # Live sockets were opened on the revoked tokens: they close (4401).
    svc.bus.end_connections(user.id)
    return await make_response("", 204)
