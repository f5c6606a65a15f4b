"""`courtside serve` as an operator runs it: embedded database, clean stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder the embedded server's account can reach (it runs as
    another account when the tests run as root; pytest's data_dir is private)."""
    folder = Path(tempfile.mkdtemp(prefix="courtside-serve-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(data_dir) in " ".join(
            process.info["cmdline"] or []
        ):
            found.append(process)
    return found


def _courtside(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "courtside", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COURTSIDE_DATABASE_URL": ""},
        **kwargs,
    )


def _wait_healthy(url: str, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"no 200 from /healthz within {timeout}s")


def test_serve_on_embedded_database_then_stop_cleanly(data_dir: Path) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    server = _courtside("serve", "--port", str(port), "--game-port", str(_free_port()),
                        "--data-dir", str(data_dir))
    try:
        _wait_healthy(url, server, timeout=60)
        assert httpx.get(f"{url}/readyz").json() == {"status": "ready"}
        assert _postgres_processes(data_dir)

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
    assert not _postgres_processes(data_dir)


def test_migrate_applies_migrations_to_the_embedded_database(data_dir: Path) -> None:
    migrate = _courtside("migrate", "--data-dir", str(data_dir))
    assert migrate.wait(timeout=60) == 0, migrate.stdout.read()
    assert (data_dir / "postgres" / "PG_VERSION").exists()
    assert not _postgres_processes(data_dir)


def test_bad_setting_exits_2_with_a_reason() -> None:
    result = _courtside("serve", "--port", "99999")
    assert result.wait(timeout=30) == 2
    assert "port must be 0-65535" in result.stdout.read()
