"""The Courtside account a provider account signs into, created at first sign-in."""

from __future__ import annotations

import re
import secrets

from courtside.persistence import (
    Database,
    IdentityTaken,
    OAuthIdentities,
    User,
    UsernameTaken,
    Users,
)

from . import rules
from .oauth_client import Profile

# Postfixes tried in one query before falling back to a random one.
POSTFIXES = 100
CREATE_ATTEMPTS = 3
_NOT_IN_USERNAME = re.compile(r"[^A-Za-z0-9_-]+")
FALLBACK_USERNAME = "player"
USERNAME_MAX = 20


def username_candidates(suggested: str | None) -> list[str]:
    """The provider's name made valid (DESIGN.md §4), then with numeric postfixes."""
    base = _NOT_IN_USERNAME.sub("_", suggested or "").strip("_-")[:USERNAME_MAX]
    if rules.username_errors(base):
        base = FALLBACK_USERNAME
    postfixed = [f"{base[:USERNAME_MAX - len(str(n))]}{n}" for n in range(2, POSTFIXES + 1)]
    return [base, *postfixed]


async def _free_username(database: Database, profile: Profile) -> str:
    candidates = username_candidates(profile.username or profile.name or _local_part(profile.email))
    taken = await OAuthIdentities(database).taken_usernames(candidates)
    for candidate in candidates:
        if candidate.lower() not in taken:
            return candidate
    return f"{candidates[0][:13]}_{secrets.token_hex(3)}"


def _local_part(email: str | None) -> str | None:
    return email.partition("@")[0] if email else None


def _usable(email: str | None) -> bool:
    return email is not None and "\x00" not in email and not rules.email_errors(email)


def _nickname(profile: Profile, username: str) -> str:
    name = (profile.name or "").replace("\x00", "").strip()[: rules.NICKNAME_MAX]
    return name or username


async def account_for(database: Database, provider: str, profile: Profile) -> tuple[User, bool]:
    """The account ``profile`` signs into, and whether it was created just now.

    A new account has no password: the provider is its way in. A name taken
    meanwhile draws the next one; the same provider account signing up twice at
    once ends in one account.
    """
    for _ in range(CREATE_ATTEMPTS):
        user_id = await OAuthIdentities(database).user_of(provider, profile.subject)
        if user_id is not None and (user := await Users(database).get(user_id)) is not None:
            return user, False
        username = await _free_username(database, profile)
        email = profile.email if _usable(profile.email) else None
        try:
            async with database.transaction() as tx:
                user = await Users(tx).create(
                    username=username, nickname=_nickname(profile, username), email=email,
                )
                await OAuthIdentities(tx).link(user.id, provider, profile.subject)
            return user, True
        except (UsernameTaken, IdentityTaken):
            continue
    raise RuntimeError(f"no account could be made for a {provider} sign-in")
