"""Faults the hardening tests cause on real parts: PostgreSQL refusing the server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
import trio


def _admin(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


@pytest.fixture
def database_outage(postgres_url: str, database_url: str) -> Callable[[], object]:
    """A context in which PostgreSQL drops the test database's connections and
    refuses new ones, as when the server is down; it accepts them again after."""
    name = urlsplit(database_url).path.lstrip("/")

    @asynccontextmanager
    async def outage() -> AsyncIterator[None]:
        await trio.to_thread.run_sync(
            _admin, postgres_url,
            f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
        )
        try:
            yield
        finally:
            await trio.to_thread.run_sync(
                _admin, postgres_url, f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    return outage
