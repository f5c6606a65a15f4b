"""A real server in a thread and Debian's Chromium driven by Playwright.

Playwright's sync API runs its own event loop, so the server runs beside it under
``trio.run`` in a thread, wired exactly as the ``node`` fixture wires it. The
browser is the system's ``/usr/bin/chromium``, never one Playwright downloads.
Without it: under CI (as root) the set-up installs it with apt-get, and a failed
install fails the tests; elsewhere the tests skip and say how to get it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trio

from courtside.server.config import Config
from courtside.server.node import Node, run_node

CHROMIUM = Path("/usr/bin/chromium")
INSTALL = ["apt-get", "install", "-y", "chromium", "chromium-driver"]
ARTIFACTS = Path(__file__).parent / "artifacts"
# Chromium as root in a container: no sandbox, no GPU, and nothing that calls home.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _install_chromium() -> None:
    for command in (["apt-get", "update"], INSTALL):
        result = subprocess.run(command, capture_output=True, text=True,
                                env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        if result.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr[-2000:]}")


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        how = "`sudo apt-get install -y chromium chromium-driver` (CI=true as root does it)"
        if os.environ.get("CI") != "true":
            pytest.skip(f"no browser at {CHROMIUM}: install it with {how}")
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.fail(f"CI has no browser at {CHROMIUM} and cannot install one: {how}")
        _install_chromium()
    return CHROMIUM


# Package scope: the browser goes when the browser tests are done, so its idle
# processes do not share the cores with the timing-sensitive tests after them.
@pytest.fixture(scope="package")
def browser(chromium: Path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives each launch a fresh temporary profile (--user-data-dir).
        launched = playwright.chromium.launch(executable_path=str(chromium), headless=True,
                                              args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@dataclass
class ServerThread:
    node: Node
    token: trio.lowlevel.TrioToken

    def call(self, work: Callable[[], object]) -> object:
        """Run ``work`` on the server's loop (reaching into it as an operator would)."""
        return trio.from_thread.run_sync(work, trio_token=self.token)


@pytest.fixture
def server_thread(config: Config) -> Iterator[ServerThread]:
    """The real server on loopback ports, in its own thread."""
    started: list[tuple[Node, trio.lowlevel.TrioToken]] = []
    ready = threading.Event()
    failure: list[BaseException] = []

    async def serve() -> None:
        async with trio.open_nursery() as nursery:
            node = await nursery.start(run_node, config)
            started.append((node, trio.lowlevel.current_trio_token()))
            ready.set()

    def run() -> None:
        try:
            trio.run(serve)
        except BaseException as error:  # surfaced to the test below
            failure.append(error)
            ready.set()

    thread = threading.Thread(target=run, name="courtside-server", daemon=True)
    thread.start()
    ready.wait(timeout=60)
    if failure or not started:
        raise RuntimeError("the server did not start") from (failure[0] if failure else None)
    served = ServerThread(*started[0])
    yield served
    served.call(served.node.shutdown)
    thread.join(timeout=30)
    if failure:
        raise failure[0]


@pytest.fixture
def server(server_thread: ServerThread) -> str:
    """The server's HTTP URL."""
    return server_thread.node.http_url


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where a test's screenshots go (git-ignored), one folder per test."""
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
