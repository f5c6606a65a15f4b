"""The one door to PostgreSQL: psycopg 3 (sync) in worker threads, under Trio.

psycopg's async API needs asyncio, so every call runs in ``trio.to_thread`` under
a ``CapacityLimiter`` sized to the pool (DESIGN.md §2): a thread that holds a
token always finds a free connection. Reads may be abandoned on cancellation
(the thread finishes and returns its connection); writes and transactions are
never abandoned half-way. Nothing else in Courtside imports psycopg.
"""

from __future__ import annotations

import functools
import math
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, TypeVar

import psycopg
import psycopg.sql
import psycopg_pool
import trio
from psycopg.rows import RowFactory, class_row, tuple_row

R = TypeVar("R")

# NOTIFY refuses payloads of 8000 bytes or more: what fits, with room for an envelope.
NOTIFY_LIMIT = 7_900
# Statements inside a transaction already hold the transaction's token.
_NO_LIMIT = trio.CapacityLimiter(math.inf)
# A thread holding a limiter token finds a free connection unless PostgreSQL is
# gone (or a connection is being re-made): waiting longer would only hang the
# request that a 503 can answer now.
CONNECTION_TIMEOUT = 5.0


class DatabaseError(Exception):
    """A database call failed for a reason that is not the caller's input."""


class DatabaseUnavailable(DatabaseError):
    """PostgreSQL cannot be reached, or dropped the connection: try again later."""


class DataRefused(DatabaseError):
    """PostgreSQL refused what a statement would write (a check, a reference, a value
    it cannot store): trying again will not help, but the same statement without
    the offending row may pass."""


class UniqueViolation(DatabaseError):
    """An insert or update hit a unique constraint; ``constraint`` names it."""

    def __init__(self, constraint: str | None) -> None:
        super().__init__(f"unique constraint {constraint} violated")
        self.constraint = constraint


def _row_factory(into: Callable[..., R] | None) -> RowFactory[Any]:
    return tuple_row if into is None else class_row(into)


def _translate(error: psycopg.Error) -> Exception:
    if isinstance(error, psycopg.errors.UniqueViolation):
        return UniqueViolation(error.diag.constraint_name)
    if isinstance(error, psycopg.OperationalError):  # refused, dropped, pool timeout
        return DatabaseUnavailable(str(error))
    if isinstance(error, psycopg.DataError | psycopg.IntegrityError):
        return DataRefused(str(error))
    return error


class Executor:
    """fetch / fetchrow / fetchval / execute: what repositories need, from a pool or a transaction.

    Reads may be abandoned by a cancelled caller. A statement that changes data
    (``execute``, or a fetch with ``write=True`` such as ``INSERT ... RETURNING``)
    is waited for, so the caller never walks away from a write that then commits.
    """

    async def _run(self, work: Callable[[psycopg.Connection], R], *, read_only: bool) -> R:
        raise NotImplementedError

    async def fetch(
        self, sql: str, *params: Any, into: Callable[..., R] | None = None, write: bool = False
    ) -> list[Any]:
        def work(conn: psycopg.Connection) -> list[Any]:
            with conn.cursor(row_factory=_row_factory(into)) as cursor:
                return cursor.execute(sql, params or None).fetchall()

        return await self._run(work, read_only=not write)

    async def fetchrow(
        self, sql: str, *params: Any, into: Callable[..., R] | None = None, write: bool = False
    ) -> Any:
        def work(conn: psycopg.Connection) -> Any:
            with conn.cursor(row_factory=_row_factory(into)) as cursor:
                return cursor.execute(sql, params or None).fetchone()

        return await self._run(work, read_only=not write)

    async def fetchval(self, sql: str, *params: Any, write: bool = False) -> Any:
        row = await self.fetchrow(sql, *params, write=write)
        return None if row is None else row[0]

    async def execute(self, sql: str, *params: Any) -> int:
        """Run a statement that writes; returns the number of rows it touched."""

        def work(conn: psycopg.Connection) -> int:
            with conn.cursor() as cursor:
                return cursor.execute(sql, params or None).rowcount

        return await self._run(work, read_only=False)


class Transaction(Executor):
    """Statements on one connection, committed together or not at all.

    The connection is borrowed inside the first statement's thread call and
    given back inside the commit's (or rollback's): each hop to a worker thread
    costs the event loop tens of microseconds, so a transaction of n statements
    costs n + 1 hops, not n + 3.
    """

    def __init__(self, pool: psycopg_pool.ConnectionPool) -> None:
        self._pool = pool
        self._conn: psycopg.Connection | None = None

    async def _run(self, work: Callable[[psycopg.Connection], R], *, read_only: bool) -> R:
        def borrow_and_work() -> R:
            with _translating():
                if self._conn is None:
                    self._conn = self._pool.getconn()
                return work(self._conn)

        # Never abandoned: the connection must not be used by two threads at once.
        return await trio.to_thread.run_sync(borrow_and_work, limiter=_NO_LIMIT)

    async def _end(self, *, commit: bool) -> None:
        def end_and_return() -> None:
            conn, self._conn = self._conn, None
            if conn is None:
                return
            try:
                with _translating():
                    if commit:
                        conn.commit()
                    else:
                        conn.rollback()
            finally:
                self._pool.putconn(conn)

        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(end_and_return, limiter=_NO_LIMIT)


class Database(Executor):
    """A pool of connections and the limiter that keeps threads from waiting on it."""

    def __init__(
        self, pool: psycopg_pool.ConnectionPool, limiter: trio.CapacityLimiter, url: str
    ) -> None:
        self._pool = pool
        self._limiter = limiter
        self._url = url

    @classmethod
    @asynccontextmanager
    async def open(cls, url: str, *, pool_size: int = 10) -> AsyncIterator[Database]:
        pool = psycopg_pool.ConnectionPool(
            url,
            min_size=min(2, pool_size),
            max_size=pool_size,
            open=False,
            # A stuck statement must not hold a connection forever; timestamps
            # come back in UTC whatever the server's default zone.
            kwargs={"options": "-c statement_timeout=30000 -c timezone=UTC",
                    "connect_timeout": int(CONNECTION_TIMEOUT)},
            timeout=CONNECTION_TIMEOUT,
            name="courtside",
        )
        await trio.to_thread.run_sync(functools.partial(pool.open, wait=True, timeout=10))
        try:
            yield cls(pool, trio.CapacityLimiter(pool_size), url)
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(functools.partial(pool.close, timeout=5))

    @property
    def connections_in_use(self) -> int:
        return int(self._limiter.borrowed_tokens)

    @property
    def pool_size(self) -> int:
        return int(self._limiter.total_tokens)

    async def _run(self, work: Callable[[psycopg.Connection], R], *, read_only: bool) -> R:
        def borrow_and_work() -> R:
            with _translating(), self._pool.connection() as conn:
                return work(conn)

        return await trio.to_thread.run_sync(
            borrow_and_work, limiter=self._limiter, abandon_on_cancel=read_only
        )

    @asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[Notifications]:
        """Subscribe to ``channel`` (LISTEN) on a connection of its own: a pooled one
        would carry the subscription to whoever borrows it next."""

        def connect() -> psycopg.Connection:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
            conn.execute(psycopg.sql.SQL("LISTEN {}").format(psycopg.sql.Identifier(channel)))
            return conn

        try:
            conn = await trio.to_thread.run_sync(connect)
        except psycopg.Error as error:
            raise DatabaseError(f"cannot listen on {channel}: {error}") from error
        try:
            yield Notifications(conn)
        finally:
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(conn.close)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """One connection for the block; commit on success, roll back on any exception.

        The transaction holds one limiter token for its whole life, so the pool can
        never be oversubscribed by threads waiting for a connection.
        """
        async with self._limiter:
            tx = Transaction(self._pool)
            try:
                yield tx
            except BaseException:
                await tx._end(commit=False)
                raise
            await tx._end(commit=True)


class Notifications:
    """The payloads of NOTIFYs on the channel a ``Database.listen`` subscribed to.

    Waiting takes no thread: the loop waits for the connection's socket to turn
    readable, then psycopg reads what came without blocking.
    """

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    async def next_batch(self) -> list[str]:
        """Every payload that has arrived, waiting for at least one."""
        while not (batch := self._arrived()):
            await trio.lowlevel.wait_readable(self._conn.fileno())
        return batch

    def _arrived(self) -> list[str]:
        try:
            return [notify.payload for notify in self._conn.notifies(timeout=0)]
        except psycopg.Error as error:
            raise DatabaseError(f"listening connection lost: {error}") from error


@contextmanager
def _translating() -> Iterator[None]:
    try:
        yield
    except psycopg.Error as error:
        translated = _translate(error)
        if translated is error:
            raise
        raise translated from error
