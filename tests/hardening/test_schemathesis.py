"""Schemathesis against the real server: generated requests to every documented
operation, authenticated, and not one 5xx or hang.

Bounded for CI (``COURTSIDE_SCHEMATHESIS_EXAMPLES`` per operation, a fixed seed so
a failure reproduces); a longer run is the same command with more examples.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import httpx

from courtside.server.config import Config
from tests.accounts import DEFAULT_PASSWORD

from .game_wire import ServerThread

EXAMPLES = os.environ.get("COURTSIDE_SCHEMATHESIS_EXAMPLES", "5")
SEED = os.environ.get("COURTSIDE_SCHEMATHESIS_SEED", "19")
REQUEST_TIMEOUT = 10  # seconds: a request past it is a failure, as a 5xx is


def test_generated_requests_get_no_server_error(config: Config, tmp_path: Path) -> None:
    # Generated requests come fast: the throttle would answer most of them 429.
    config = dataclasses.replace(config, throttle_burst=1_000_000, throttle_per_second=1e6)
    with ServerThread(config) as server:
        url = server.node.http_url
        tokens = httpx.post(f"{url}/api/auth/register/",
                            json={"username": "fuzzer", "password": DEFAULT_PASSWORD}).json()
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", f"{url}/openapi.json",
             "--header", f"Authorization: Bearer {tokens['access']}",
             "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "2",
             "--checks", "not_a_server_error", "--request-timeout", str(REQUEST_TIMEOUT)],
            capture_output=True, text=True, timeout=600,
            cwd=tmp_path,  # schemathesis keeps its cache in the working directory
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
