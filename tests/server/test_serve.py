"""`courtside serve` as an operator runs it: embedded database, clean stop."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx

from tests.server.serving import courtside, free_port, postgres_processes, wait_healthy


def test_serve_on_embedded_database_then_stop_cleanly(data_dir: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = courtside("serve", "--port", str(port), "--game-port", str(free_port()),
                       "--data-dir", str(data_dir))
    try:
        wait_healthy(url, server, timeout=60)
        ready = httpx.get(f"{url}/readyz").json()
        assert (ready["status"], ready["node"]["pid"]) == ("ready", server.pid)
        assert [node["http_url"] for node in ready["nodes"]] == [url]
        assert postgres_processes(data_dir)

        stopping = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        assert time.monotonic() - stopping < 5
    finally:
        if server.poll() is None:
            server.kill()
    output = server.stdout.read()
    assert f"serving HTTP on http://127.0.0.1:{port}" in output
    assert f"database: embedded PostgreSQL in {data_dir / 'postgres'}" in output
    assert not postgres_processes(data_dir)


def test_migrate_applies_migrations_to_the_embedded_database(data_dir: Path) -> None:
    migrate = courtside("migrate", "--data-dir", str(data_dir))
    assert migrate.wait(timeout=60) == 0, migrate.stdout.read()
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    assert not postgres_processes(data_dir)


def test_bad_setting_exits_2_with_a_reason() -> None:
    result = courtside("serve", "--port", "99999")
    assert result.wait(timeout=30) == 2
    assert "port must be 0-65535" in result.stdout.read()
