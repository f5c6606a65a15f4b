"""PostgreSQL: the database handle, migrations, repositories, the embedded server."""

from .avatars import DEFAULT_STEM, MAX_AVATAR_BYTES, AvatarStore
from .chats import Chat, Chats, DialogueExists, Message
from .database import (
    Database,
    DatabaseError,
    DatabaseUnavailable,
    Executor,
    Transaction,
    UniqueViolation,
)
from .embedded import EmbeddedPostgres, EmbeddedPostgresError
from .migrations import MigrationError, migrate
from .refresh_tokens import RefreshTokens, Rotation, Session
from .social import (
    Block,
    FriendRequest,
    Friendship,
    FriendshipEnds,
    Person,
    Relationship,
    RequestEnds,
    Severed,
    Social,
)
from .users import User, Users, UsernameTaken

__all__ = [
    "DEFAULT_STEM",
    "MAX_AVATAR_BYTES",
    "AvatarStore",
    "Block",
    "Chat",
    "Chats",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "DialogueExists",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "Executor",
    "FriendRequest",
    "Friendship",
    "FriendshipEnds",
    "Message",
    "MigrationError",
    "Person",
    "RefreshTokens",
    "Relationship",
    "RequestEnds",
    "Rotation",
    "Session",
    "Severed",
    "Social",
    "Transaction",
    "UniqueViolation",
    "User",
    "UsernameTaken",
    "Users",
    "migrate",
]
