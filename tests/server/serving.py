"""`courtside` run as an operator runs it: a real process, its ports, its children."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import psutil


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(data_dir) in " ".join(
            process.info["cmdline"] or []
        ):
            found.append(process)
    return found


def courtside(
    *args: str, env: dict[str, str] | None = None, output: IO[str] | int = subprocess.PIPE
) -> subprocess.Popen[str]:
    """The CLI, on the embedded database unless ``env`` names another."""
    return subprocess.Popen(
        [sys.executable, "-m", "courtside", *args],
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COURTSIDE_DATABASE_URL": "", **(env or {})},
    )


def wait_healthy(url: str, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError(f"no 200 from /healthz within {timeout}s")
