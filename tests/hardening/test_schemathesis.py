"""Schemathesis against the real server: generated requests to every documented
operation authenticated by Bearer token, and to a sample authenticated as a browser
is (the session cookies, and the CSRF header on unsafe methods): not one 5xx or hang,
and every answer is one the operation documents, with the body its schema shows.

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
import pytest

from courtside.server.config import Config
from tests.accounts import DEFAULT_PASSWORD

from .game_wire import ServerThread

EXAMPLES = os.environ.get("COURTSIDE_SCHEMATHESIS_EXAMPLES", "5")
SEED = os.environ.get("COURTSIDE_SCHEMATHESIS_SEED", "19")
REQUEST_TIMEOUT = 10  # seconds: a request past it is a failure, as a 5xx is
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
# What a browser session reaches with its cookies: the account, chats and lobbies.
COOKIE_SAMPLE = "^/api/(users/me|chat|play/lobby)"


def _as_bearer(url: str, signed_up: httpx.Response) -> list[str]:
    return ["--header", f"Authorization: Bearer {signed_up.json()['access']}"]


def _as_browser(url: str, signed_up: httpx.Response) -> list[str]:
    cookies = dict(header.split(";", 1)[0].split("=", 1)
                   for header in signed_up.headers.get_list("set-cookie"))
    headers = {"Cookie": f"access={cookies['access']}; csrftoken={cookies['csrftoken']}",
               "X-CSRF-Token": cookies["csrftoken"]}
    # These very headers authenticate, safe and unsafe methods alike.
    assert httpx.get(f"{url}/api/users/me/", headers=headers).status_code == 200
    assert httpx.patch(f"{url}/api/users/me/", json={"nickname": "fuzz"}, headers=headers).status_code == 200
    return [*(arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")),
            "--include-path-regex", COOKIE_SAMPLE]


@pytest.mark.parametrize("authenticated", [_as_bearer, _as_browser], ids=["bearer", "cookie"])
def test_generated_requests_get_no_server_error(config: Config, tmp_path: Path, authenticated) -> None:
    # Generated requests come fast: the throttle would answer most of them 429.
    config = dataclasses.replace(config, throttle_burst=1_000_000, throttle_per_second=1e6)
    with ServerThread(config) as server:
        url = server.node.http_url
        signed_up = httpx.post(f"{url}/api/auth/register/",
                               json={"username": "fuzzer", "password": DEFAULT_PASSWORD})
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "run", f"{url}/openapi.json",
             *authenticated(url, signed_up),
             # One worker: CPython 3.11's ast is not thread-safe, and hypothesis parses
             # lambdas with it ("AST constructor recursion depth mismatch" under two).
             "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1",
             "--checks", CHECKS, "--request-timeout", str(REQUEST_TIMEOUT)],
            capture_output=True, text=True, timeout=600,
            cwd=tmp_path,  # schemathesis keeps its cache in the working directory
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
