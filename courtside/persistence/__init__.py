"""PostgreSQL: the database handle, migrations, repositories, the embedded server."""

from .database import Database, DatabaseError, Transaction, UniqueViolation
from .embedded import EmbeddedPostgres, EmbeddedPostgresError
from .migrations import MigrationError, migrate

__all__ = [
    "Database",
    "DatabaseError",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "MigrationError",
    "Transaction",
    "UniqueViolation",
    "migrate",
]
