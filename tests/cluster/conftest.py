"""A cluster of real `courtside serve` processes over the test's own PostgreSQL database."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trio


START_WAIT = 60.0
STOP_WAIT = 30.0
NODES = 3


# What a node logs once it listens (courtside.server.node): ports picked by the kernel.
SERVING_HTTP = re.compile(rb"serving HTTP on (http://\S+)")
SERVING_GAMES = re.compile(rb"serving game sockets on ws://\S+:(\d+)")


@dataclass
class ServeProcess:
    """One node: its process, where it serves, and its log."""

    process: subprocess.Popen[bytes]
    log: Path
    http_url: str = ""
    game_port: int = 0

    @property
    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.http_url, timeout=10)

    def kill(self) -> None:
        """No goodbye: the node vanishes as in a power cut."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with trio.move_on_after(STOP_WAIT):
                while self.process.poll() is None:
                    await trio.sleep(0.05)
        if self.process.poll() is None:
            self.kill()


class Cluster:
    def __init__(self, database_url: str, root: Path) -> None:
        self._database_url = database_url
        self._root = root
        self.nodes: list[ServeProcess] = []
        self._started = 0

    async def start_node(self, *, secret_key: str | None = None) -> ServeProcess:
        """A new `courtside serve` on the cluster's database, once it is ready."""
        index = self._started
        self._started += 1
        data_dir = self._root / f"node{index}"
        data_dir.mkdir()
        log = data_dir / "serve.log"
        argv = [
            sys.executable, "-m", "courtside", "serve", "--database-url", self._database_url,
            "--port", "0", "--data-dir", str(data_dir),
        ]
        if secret_key is not None:
            argv += ["--secret-key", secret_key]
        env = {**os.environ, "COURTSIDE_SHUTDOWN_GRACE_SECONDS": "1",
               "COURTSIDE_THROTTLE_BURST": "10000", "COURTSIDE_THROTTLE_PER_SECOND": "10000"}
        with log.open("wb") as out:
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        node = ServeProcess(process, log)
        self.nodes.append(node)
        await _until_ready(node)
        return node

    async def stop(self) -> None:
        async with trio.open_nursery() as nursery:
            for node in self.nodes:
                nursery.start_soon(node.stop)


async def _until_ready(node: ServeProcess) -> None:
    with trio.fail_after(START_WAIT):
        while not node.http_url:
            if node.process.poll() is not None:
                raise RuntimeError(f"node exited: {node.log.read_text()[-3000:]}")
            written = node.log.read_bytes()
            if (http := SERVING_HTTP.search(written)) and (games := SERVING_GAMES.search(written)):
                node.http_url, node.game_port = http[1].decode(), int(games[1])
            else:
                await trio.sleep(0.1)
        async with node.client as client:
            while True:
                if node.process.poll() is not None:
                    raise RuntimeError(f"node exited: {node.log.read_text()[-3000:]}")
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await trio.sleep(0.1)


@pytest.fixture
async def cluster(database_url: str, tmp_path: Path) -> AsyncIterator[Cluster]:
    """Three nodes with data dirs of their own (no shared secret file) on one database."""
    running = Cluster(database_url, tmp_path)
    try:
        async with trio.open_nursery() as nursery:
            for _ in range(NODES):
                nursery.start_soon(running.start_node)
        yield running
    finally:
        await running.stop()

