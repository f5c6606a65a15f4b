"""Test harness: one PostgreSQL per session, a fresh database per test, real servers.

With ``COURTSIDE_DATABASE_URL`` set (a superuser URL), the suite uses that server
instead of starting the embedded one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
import trio
from trio.testing import MockClock

from courtside.actors import Engagements
from courtside.persistence import Database, EmbeddedPostgres, migrate
from courtside.persistence.cluster import Nodes
from courtside.server.config import Config
from courtside.server.node import Node, run_node

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hs256"


def _with_database(url: str, name: str) -> str:
    """The same server URL, naming another database."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for sql in statements:
            conn.execute(sql)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A superuser URL of the session's server: embedded unless configured."""
    external = os.environ.get("COURTSIDE_DATABASE_URL")
    if external:
        yield external
        return
    # mkdtemp makes the folder 0700; the server may run as another account (root).
    root = Path(tempfile.mkdtemp(prefix="courtside-test-"))
    root.chmod(0o755)
    server = EmbeddedPostgres(root / "postgres", durable=False)
    server.start()
    try:
        yield server.url()
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def template_database(postgres_url: str) -> Iterator[str]:
    """A migrated database every test database is cloned from."""
    name = f"courtside_template_{os.getpid()}"
    _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(postgres_url, f'CREATE DATABASE "{name}"')

    async def apply_migrations() -> None:
        async with Database.open(_with_database(postgres_url, name), pool_size=1) as db:
            await migrate(db)

    trio.run(apply_migrations)
    yield name
    _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(postgres_url: str, template_database: str) -> Iterator[str]:
    """A fresh, migrated database for one test, dropped after it."""
    name = f"courtside_test_{uuid.uuid4().hex[:12]}"
    _admin(postgres_url, f'CREATE DATABASE "{name}" TEMPLATE "{template_database}" STRATEGY FILE_COPY')
    yield _with_database(postgres_url, name)
    _admin(postgres_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with Database.open(database_url, pool_size=5) as db:
        yield db


# The mock clock jumps only after this many real seconds with every task waiting,
# which lets database calls (real time, in worker threads) finish before virtual
# time moves on.
AUTOJUMP_AFTER = 0.5
# The heartbeat of a node alone in a test on that clock: rare, so time can leap ahead.
ALONE = 3600.0


@pytest.fixture
def database_clock(mock_clock: MockClock) -> MockClock:
    """Virtual time for actors that also use the real database."""
    mock_clock.autojump_threshold = AUTOJUMP_AFTER
    return mock_clock


@pytest.fixture
async def engagements(database: Database) -> Engagements:
    """Engagements of a node registered in the test's database, for actors tested alone."""
    node_id = await Nodes(database).register(
        http_url="", game_url="ws://localhost:1", pid=os.getpid(), hostname="test"
    )
    return Engagements(database, node_id=lambda: node_id)


@pytest.fixture
def config(database_url: str, tmp_path: Path) -> Config:
    return Config(
        host="127.0.0.1",
        port=0,
        database_url=database_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        db_pool_size=5,
        shutdown_grace_seconds=1.0,
    )


@pytest.fixture
async def node(config: Config) -> AsyncIterator[Node]:
    """The real server, wired as in production, on a loopback port."""
    async with trio.open_nursery() as nursery:
        running: Node = await nursery.start(run_node, config)
        yield running
        running.shutdown()


@pytest.fixture
async def client(node: Node) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=node.http_url, timeout=10) as http:
        yield http
