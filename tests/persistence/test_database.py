"""The Database handle against a real PostgreSQL: concurrency, cancellation, errors."""

from __future__ import annotations

import msgspec
import pytest
import trio

from courtside.persistence import Database, UniqueViolation


async def test_fifty_concurrent_transactions_all_commit(database: Database) -> None:
    await database.execute("CREATE TABLE visits (task integer PRIMARY KEY)")
    await database.execute("CREATE TABLE counter (n integer NOT NULL)")
    await database.execute("INSERT INTO counter VALUES (0)")

    async def visit(task: int) -> None:
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO visits VALUES (%s)", task)
            await tx.execute("UPDATE counter SET n = n + 1")

    with trio.fail_after(30):
        async with trio.open_nursery() as nursery:
            for task in range(50):
                nursery.start_soon(visit, task)

    assert await database.fetchval("SELECT n FROM counter") == 50
    assert await database.fetchval("SELECT count(*) FROM visits") == 50
    assert database.connections_in_use == 0


async def test_cancelled_queries_give_their_connections_back(database: Database) -> None:
    """A read cancelled while running, and one cancelled while waiting for a
    connection, both leave the pool whole."""
    pool = database.pool_size
    started = trio.Event()

    async def slow_read() -> None:
        started.set()
        await database.fetchval("SELECT pg_sleep(0.3)")

    with trio.fail_after(10):
        async with trio.open_nursery() as nursery:
            for _ in range(pool):
                nursery.start_soon(slow_read)
            await started.wait()
            await trio.sleep(0.05)
            # Every connection is busy: this one waits for a token, and is cancelled.
            with trio.move_on_after(0.05) as waiting:
                await database.fetchval("SELECT 1")
            assert waiting.cancelled_caught
            nursery.cancel_scope.cancel()  # abandons the running reads

        while database.connections_in_use:
            await trio.sleep(0.05)

        # The pool serves a full load again.
        async with trio.open_nursery() as nursery:
            for _ in range(pool):
                nursery.start_soon(database.fetchval, "SELECT 1")
    assert database.connections_in_use == 0


async def test_exception_in_transaction_rolls_everything_back(database: Database) -> None:
    await database.execute("CREATE TABLE notes (body text)")
    with pytest.raises(RuntimeError):
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO notes VALUES ('first')")
            raise RuntimeError("the handler failed after one write")
    assert await database.fetchval("SELECT count(*) FROM notes") == 0


async def test_cancelled_transaction_rolls_back(database: Database) -> None:
    await database.execute("CREATE TABLE notes (body text)")
    with trio.move_on_after(0.2) as scope:
        async with database.transaction() as tx:
            await tx.execute("INSERT INTO notes VALUES ('first')")
            await trio.sleep_forever()
    assert scope.cancelled_caught
    assert await database.fetchval("SELECT count(*) FROM notes") == 0
    assert database.connections_in_use == 0


async def test_unique_violation_names_its_constraint(database: Database) -> None:
    await database.execute("CREATE TABLE handles (name text CONSTRAINT handles_name_key UNIQUE)")
    await database.execute("INSERT INTO handles VALUES ('alice')")
    with pytest.raises(UniqueViolation) as caught:
        await database.execute("INSERT INTO handles VALUES ('alice')")
    assert caught.value.constraint == "handles_name_key"


async def test_rows_can_be_read_into_typed_records(database: Database) -> None:
    class Pair(msgspec.Struct, frozen=True):
        number: int
        letter: str

    rows = await database.fetch(
        "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(number, letter) ORDER BY 1", into=Pair
    )
    assert rows == [Pair(1, "a"), Pair(2, "b")]
    assert await database.fetchrow("SELECT 1 WHERE false") is None
