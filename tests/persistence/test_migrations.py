"""Migrations: applied once, in order, all-or-nothing per file."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
import trio

from courtside.persistence import Database, MigrationError, migrate
from courtside.persistence.migrations import MIGRATIONS_DIR, discover
from tests.conftest import _with_database


@pytest.fixture
async def empty_database(postgres_url: str) -> AsyncIterator[Database]:
    """A database with no migrations applied at all."""
    name = f"courtside_empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        async with Database.open(_with_database(postgres_url, name)) as db:
            yield db
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _write(folder: Path, name: str, sql: str) -> None:
    (folder / name).write_text(sql)


async def _tables(db: Database) -> set[str]:
    rows = await db.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    return {name for (name,) in rows}


async def test_failed_migration_leaves_nothing_half_applied(
    empty_database: Database, tmp_path: Path
) -> None:
    _write(tmp_path, "0001_players.sql", "CREATE TABLE players (id bigint);")
    _write(tmp_path, "0002_scores.sql",
           "CREATE TABLE scores (id bigint); INSERT INTO no_such_table VALUES (1);")
    _write(tmp_path, "0003_later.sql", "CREATE TABLE later (id bigint);")

    with pytest.raises(MigrationError, match="0002_scores"):
        await migrate(empty_database, tmp_path)

    assert await _tables(empty_database) == {"schema_migrations", "players"}
    versions = await empty_database.fetch("SELECT version FROM schema_migrations")
    assert versions == [(1,)]

    # Once fixed, the run resumes where it stopped.
    _write(tmp_path, "0002_scores.sql", "CREATE TABLE scores (id bigint);")
    assert await migrate(empty_database, tmp_path) == ["0002_scores", "0003_later"]
    assert await _tables(empty_database) == {"schema_migrations", "players", "scores", "later"}


async def test_concurrent_runs_apply_each_migration_once(
    empty_database: Database, postgres_url: str, tmp_path: Path
) -> None:
    for version in range(1, 6):
        _write(tmp_path, f"{version:04d}_step.sql", f"CREATE TABLE step_{version} (id int);")
    results: list[list[str]] = []

    async def run() -> None:
        results.append(await migrate(empty_database, tmp_path))

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for _ in range(3):
                nursery.start_soon(run)

    applied = sorted(name for names in results for name in names)
    assert applied == [f"{version:04d}_step" for version in range(1, 6)]
    assert await empty_database.fetchval("SELECT count(*) FROM schema_migrations") == 5


async def test_misnamed_migration_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "1_players.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_name.sql"):
        discover(tmp_path)


def test_shipped_migrations_are_well_formed() -> None:
    migrations = discover(MIGRATIONS_DIR)
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
