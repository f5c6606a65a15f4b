"""JWT HS256 access and refresh tokens (DESIGN.md §4)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

from courtside.protocol import AuthenticationFailed

ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=14)
TokenType = Literal["access", "refresh"]


class TokenNotValid(AuthenticationFailed):
    code = "token_not_valid"
    detail = "Given token not valid for any token type"


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: int
    jti: uuid.UUID
    # access: the account's token_version when issued; refresh: its family.
    version: int | None = None
    family: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class RefreshGrant:
    token: str
    jti: uuid.UUID
    family: uuid.UUID
    expires_at: datetime


class TokenSigner:
    def __init__(self, secret_key: str) -> None:
        self._key = secret_key

    def access(self, user_id: int, version: int) -> str:
        return self._sign("access", user_id, ACCESS_LIFETIME, {"ver": version})

    def refresh(self, user_id: int, family: uuid.UUID) -> RefreshGrant:
        jti = uuid.uuid4()
        token = self._sign("refresh", user_id, REFRESH_LIFETIME, {"fam": str(family)}, jti)
        return RefreshGrant(token, jti, family, datetime.now(UTC) + REFRESH_LIFETIME)

    def _sign(
        self,
        kind: TokenType,
        user_id: int,
        lifetime: timedelta,
        extra: dict[str, object],
        jti: uuid.UUID | None = None,
    ) -> str:
        now = int(time.time())
        payload = {
            "sub": str(user_id),
            "typ": kind,
            "iat": now,
            "exp": now + int(lifetime.total_seconds()),
            "jti": str(jti or uuid.uuid4()),
            **extra,
        }
        return jwt.encode(payload, self._key, algorithm="HS256")

    def verify(self, token: str, kind: TokenType) -> Claims:
        """The claims of a well-signed, unexpired token of ``kind``; else 401 token_not_valid."""
        try:
            payload = jwt.decode(
                token, self._key, algorithms=["HS256"],
                options={"require": ["sub", "typ", "exp", "iat", "jti"]},
            )
            if payload["typ"] != kind:
                raise TokenNotValid(f"Token is not an {kind} token." if kind == "access"
                                    else f"Token is not a {kind} token.")
            if kind == "access":
                return Claims(int(payload["sub"]), uuid.UUID(payload["jti"]), version=int(payload["ver"]))
            return Claims(int(payload["sub"]), uuid.UUID(payload["jti"]), family=uuid.UUID(payload["fam"]))
        except jwt.ExpiredSignatureError:
            raise TokenNotValid("Token is expired.") from None
        except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
            raise TokenNotValid() from None
