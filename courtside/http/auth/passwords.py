"""argon2id hashing, off the event loop (it costs tens of milliseconds by design)."""

from __future__ import annotations

import trio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Hashing is CPU-bound: two at a time keeps the loop's core free for everyone else.
_limiter = trio.CapacityLimiter(2)


async def hash_password(password: str) -> str:
    return await trio.to_thread.run_sync(_hasher.hash, password, limiter=_limiter)


async def password_matches(password_hash: str | None, password: str) -> bool:
    if password_hash is None:
        return False

    def verify() -> bool:
        try:
            return _hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await trio.to_thread.run_sync(verify, limiter=_limiter)
