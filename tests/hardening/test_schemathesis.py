"""Schemathesis against the real server: generated requests to every documented
operation authenticated by Bearer token, and to a sample authenticated as a browser
is (the session cookies, and the CSRF header on unsafe methods): not one 5xx or hang,
and every answer is one the operation documents, with the body its schema shows.
Its stateful phase then follows the document's links, from a create route to the
routes of what it made (a chat, a lobby, a tournament...), and checks that what
was made is found there.

Bounded for CI (``COURTSIDE_SCHEMATHESIS_EXAMPLES`` per operation,
``COURTSIDE_SCHEMATHESIS_SCENARIOS`` stateful scenarios, a fixed seed so a failure
reproduces); a longer run is the same command with more of them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from courtside.server.config import Config
from tests.accounts import DEFAULT_PASSWORD

from .game_wire import ServerThread

EXAMPLES = os.environ.get("COURTSIDE_SCHEMATHESIS_EXAMPLES", "5")
SCENARIOS = os.environ.get("COURTSIDE_SCHEMATHESIS_SCENARIOS", "100")
SEED = os.environ.get("COURTSIDE_SCHEMATHESIS_SEED", "19")
REQUEST_TIMEOUT = 10  # seconds: a request past it is a failure, as a 5xx is
# Not use_after_free: a DELETE here often leaves or hides what stays (a tournament
# others play in, a hidden dialogue), so it may still be read after.
CHECKS = ("not_a_server_error,status_code_conformance,response_schema_conformance,"
          "ensure_resource_availability")
# Valid requests only in the stateful phase, so that its creates succeed; and the
# document's links only, not links schemathesis guesses from field names.
STATEFUL = f"""
[phases.stateful.generation]
max-examples = {SCENARIOS}
mode = "positive"

[phases.stateful.inference]
algorithms = []
"""
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
        (tmp_path / "schemathesis.toml").write_text(STATEFUL)
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"),
             "--config-file", str(tmp_path / "schemathesis.toml"), "run", f"{url}/openapi.json",
             *authenticated(url, signed_up),
             # One worker: CPython 3.11's ast is not thread-safe, and hypothesis parses
             # lambdas with it ("AST constructor recursion depth mismatch" under two).
             "--max-examples", EXAMPLES, "--seed", SEED, "--workers", "1",
             "--checks", CHECKS, "--request-timeout", str(REQUEST_TIMEOUT)],
            capture_output=True, text=True, timeout=600,
            cwd=tmp_path,  # schemathesis keeps its cache in the working directory
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    covered = re.search(r"API Links:\s+(\d+) covered", run.stdout)
    assert covered and int(covered[1]) > 0, run.stdout[-6000:]
