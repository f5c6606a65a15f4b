"""PostgreSQL: the database handle, migrations, repositories, the embedded server."""

from .avatars import DEFAULT_STEM, MAX_AVATAR_BYTES, AvatarStore
from .chats import Chat, Chats, DialogueExists, Message
from .database import (
    NOTIFY_LIMIT,
    Database,
    DatabaseError,
    DatabaseUnavailable,
    DataRefused,
    Executor,
    Transaction,
    UniqueViolation,
)
from .embedded import EmbeddedPostgres, EmbeddedPostgresError
from .migrations import MigrationError, migrate
from .oauth_identities import (
    IdentityTaken,
    OAuthIdentities,
    ProviderAlreadyLinked,
    Unlinking,
)
from .password_resets import PasswordResets, ResetAccount
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
    "NOTIFY_LIMIT",
    "AvatarStore",
    "Block",
    "Chat",
    "Chats",
    "Database",
    "DatabaseError",
    "DatabaseUnavailable",
    "DataRefused",
    "DialogueExists",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "Executor",
    "FriendRequest",
    "Friendship",
    "FriendshipEnds",
    "IdentityTaken",
    "Message",
    "MigrationError",
    "OAuthIdentities",
    "PasswordResets",
    "Person",
    "ProviderAlreadyLinked",
    "RefreshTokens",
    "Relationship",
    "RequestEnds",
    "ResetAccount",
    "Rotation",
    "Session",
    "Severed",
    "Social",
    "Transaction",
    "UniqueViolation",
    "Unlinking",
    "User",
    "UsernameTaken",
    "Users",
    "migrate",
]
