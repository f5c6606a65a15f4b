"""Numbered SQL migrations, applied in order, each in its own transaction.

Files are ``NNNN_name.sql`` in ``courtside/persistence/migrations/``. Every
migration takes a transaction-scoped advisory lock first, so several processes
starting at once apply each file exactly once; a failing file rolls back whole
and nothing after it runs. Never edit an applied migration: add a new one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from .database import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Any constant works; it only has to be the same in every Courtside process.
_ADVISORY_LOCK_KEY = 0x636F7572747369  # "courtsi"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    """A migration file is misnamed or failed to apply (and was rolled back)."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"migration file {path.name} is not named NNNN_name.sql")
        migrations.append(Migration(int(match.group(1)), path.stem, path.read_text()))
    versions = [migration.version for migration in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number in {directory}")
    return migrations


async def migrate(db: Database, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; returns the names applied by this call."""
    async with db.transaction() as tx:
        await tx.execute("SELECT pg_advisory_xact_lock(%s)", _ADVISORY_LOCK_KEY)
        await tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY,"
            " name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
    applied = []
    for migration in discover(directory):
        async with db.transaction() as tx:
            await tx.execute("SELECT pg_advisory_xact_lock(%s)", _ADVISORY_LOCK_KEY)
            if await tx.fetchval(
                "SELECT 1 FROM schema_migrations WHERE version = %s", migration.version
            ):
                continue
            try:
                await tx.execute(migration.sql)
            except Exception as error:
                raise MigrationError(f"migration {migration.name} failed: {error}") from error
            await tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                migration.version,
                migration.name,
            )
        log.info("applied migration %s", migration.name)
        applied.append(migration.name)
    return applied
