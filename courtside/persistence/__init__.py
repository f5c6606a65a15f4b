"""PostgreSQL: the database handle, migrations, repositories, the embedded server."""

from .avatars import DEFAULT_STEM, MAX_AVATAR_BYTES, AvatarStore
from .database import Database, DatabaseError, Executor, Transaction, UniqueViolation
from .embedded import EmbeddedPostgres, EmbeddedPostgresError
from .migrations import MigrationError, migrate
from .refresh_tokens import RefreshTokens, Rotation, Session
from .users import User, Users, UsernameTaken

__all__ = [
    "DEFAULT_STEM",
    "MAX_AVATAR_BYTES",
    "AvatarStore",
    "Database",
    "DatabaseError",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "Executor",
    "MigrationError",
    "RefreshTokens",
    "Rotation",
    "Session",
    "Transaction",
    "UniqueViolation",
    "User",
    "UsernameTaken",
    "Users",
    "migrate",
]
