"""`courtside serve --workers N`: one parent, N real nodes on one HTTP port."""

from __future__ import annotations

import collections
import contextlib
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from courtside.server.config import Config, load_config
from courtside.server.workers import STOP_MARGIN_SECONDS, RestartPolicy, worker_environment
from tests.server.serving import courtside, free_port, postgres_processes, wait_healthy

# Bounds on waits for real processes on a shared, busy machine; none is asserted on.
START_TIMEOUT = 120.0
STOP_TIMEOUT = 60.0


class Parent:
    """A running `courtside serve --workers N` and what it answers."""

    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self._log = log

    def output(self) -> str:
        """What the parent and its workers printed (a file: a pipe could fill)."""
        return self._log.read_text()

    def workers(self) -> list[psutil.Process]:
        found = []
        for child in psutil.Process(self.process.pid).children():
            # Other children (the database server's initdb) come and go meanwhile.
            with contextlib.suppress(psutil.NoSuchProcess):
                if "courtside.server.worker" in child.cmdline():
                    found.append(child)
        return found

    def readiness(self) -> dict:
        """One /readyz on a fresh connection (the kernel hands it to any worker)."""
        response = httpx.get(f"{self.url}/readyz", timeout=5)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_until_answered_by(self, pids: set[int]) -> None:
        """Every one of ``pids`` (and no other process) answered /readyz."""
        wait_healthy(self.url, self.process, timeout=START_TIMEOUT)
        seen: set[int] = set()
        deadline = time.monotonic() + START_TIMEOUT
        while seen != pids:
            assert time.monotonic() < deadline, f"answered by {seen}, not {pids}"
            assert self.process.poll() is None, self.output()
            pid = self.readiness()["node"]["pid"]
            assert pid in pids, f"answered by {pid}, not one of the workers {pids}"
            seen.add(pid)

    def wait_for_workers(self, count: int) -> list[psutil.Process]:
        deadline = time.monotonic() + START_TIMEOUT
        while len(workers := self.workers()) != count:
            assert time.monotonic() < deadline, f"{len(workers)} workers, not {count}"
            time.sleep(0.1)
        return workers

    def stop(self) -> str:
        """SIGTERM, then everything it printed; it must exit 0 with nothing left."""
        children = psutil.Process(self.process.pid).children(recursive=True)
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=STOP_TIMEOUT) == 0, self.output()
        _, alive = psutil.wait_procs(children, timeout=STOP_TIMEOUT)
        assert not alive, f"left behind: {alive}"
        return self.output()


StartParent = Callable[..., "Parent"]


@pytest.fixture
def start_parent(tmp_path: Path) -> Iterator[StartParent]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Parent:
        port, log = free_port(), tmp_path / f"parent-{len(started)}.log"
        with log.open("w") as output:
            process = courtside(
                "serve", "--workers", *args, "--port", str(port), output=output,
                env={"COURTSIDE_SHUTDOWN_GRACE_SECONDS": "1", **(env or {})},
            )
        started.append(process)
        return Parent(process, port, log)

    yield start
    for process in started:
        if process.poll() is None:
            for child in psutil.Process(process.pid).children(recursive=True):
                child.kill()
            process.kill()
            process.wait()


def _free_game_ports(count: int) -> int:
    """The first of ``count`` consecutive ports free now, for worker i on first + i."""
    while True:
        first = free_port()
        try:
            with contextlib.ExitStack() as probes:
                for offset in range(1, count):
                    probes.enter_context(socket.create_server(("127.0.0.1", first + offset)))
        except OSError:
            continue
        return first


def _index_of(worker: psutil.Process) -> int:
    command = worker.cmdline()  # python -m courtside.server.worker INDEX HTTP_FD LINK_FD
    return int(command[command.index("courtside.server.worker") + 1])


def _game_port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except OSError:
        return False
    return True


def test_workers_share_the_http_port_each_on_its_own_game_port(
    start_parent: StartParent, data_dir: Path
) -> None:
    game_port = _free_game_ports(2)
    parent = start_parent("2", "--game-port", str(game_port), "--data-dir", str(data_dir))
    workers = parent.wait_for_workers(2)
    parent.wait_until_answered_by({worker.pid for worker in workers})
    assert _game_port_open(game_port) and _game_port_open(game_port + 1)
    # One embedded server for all: one postmaster, the parent's child.
    postmasters = [p for p in postgres_processes(data_dir) if p.ppid() == parent.process.pid]
    assert len(postmasters) == 1

    output = parent.stop()
    assert not postgres_processes(data_dir)
    ports = f"game ports {game_port}-{game_port + 1}"
    assert f"serving HTTP on {parent.url} with 2 workers ({ports})" in output
    for index in (0, 1):
        assert (f"worker {index} courtside.server.node: serving game sockets on "
                f"ws://127.0.0.1:{game_port + index}\n") in output
    # Migrations ran once, in the parent, before any worker started.
    applied = re.findall(
        r"INFO (.*)courtside\.persistence\.migrations: applied migration (\w+)", output
    )
    assert applied, output
    assert {tag for tag, _ in applied} == {""}
    assert max(collections.Counter(name for _, name in applied).values()) == 1
    assert output.index("applied migration") < output.index("worker 0 started")


def test_a_killed_worker_is_started_again_and_the_port_keeps_serving(
    start_parent: StartParent, database_url: str
) -> None:
    game_port = _free_game_ports(2)
    parent = start_parent("2", "--game-port", str(game_port),
                                  env={"COURTSIDE_DATABASE_URL": database_url})
    first, second = parent.wait_for_workers(2)
    parent.wait_until_answered_by({first.pid, second.pid})
    index = _index_of(second)

    second.kill()
    second.wait(timeout=STOP_TIMEOUT)
    parent.readiness()  # the survivor serves the shared port meanwhile
    restarted = next(w for w in parent.wait_for_workers(2) if w.pid != first.pid)
    assert restarted.pid != second.pid
    parent.wait_until_answered_by({first.pid, restarted.pid})
    assert _game_port_open(game_port + index)

    output = parent.stop()
    assert f"worker {index} (pid {second.pid}) killed by SIGKILL after serving" in output
    assert f"worker {index} serving: pid {restarted.pid}" in output


def test_a_worker_that_keeps_dying_at_start_is_given_up(
    start_parent: StartParent, database_url: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        game_port = taken.getsockname()[1]
        parent = start_parent("1", "--game-port", str(game_port),
                                      env={"COURTSIDE_DATABASE_URL": database_url})
        policy = RestartPolicy()
        assert parent.process.wait(timeout=START_TIMEOUT * policy.max_deaths_in_a_row) == 1
    output = parent.output()
    assert output.count("worker 0 started") == policy.max_deaths_in_a_row
    assert "starting it again in 0.5 s" in output and "starting it again in 4 s" in output
    assert (f"worker 0 given up: died {policy.max_deaths_in_a_row} times in a row, "
            f"none serving {policy.stable_after:g} s (last: exit 1)") in output
    assert "worker 0 serving" not in output
    assert "every worker was given up; exiting" in output


def test_a_worker_that_does_not_stop_in_time_is_killed(
    start_parent: StartParent, database_url: str
) -> None:
    parent = start_parent("2", "--game-port", "0", env={"COURTSIDE_DATABASE_URL": database_url})
    first, second = parent.wait_for_workers(2)
    parent.wait_until_answered_by({first.pid, second.pid})
    index = _index_of(second)
    second.suspend()  # SIGSTOP: the SIGTERM the parent forwards waits, unhandled

    output = parent.stop()
    stop_timeout = 1 + STOP_MARGIN_SECONDS  # COURTSIDE_SHUTDOWN_GRACE_SECONDS is 1
    assert f"worker {index} did not stop within {stop_timeout:g} s; killing it" in output
    assert f"worker {index} stopped: killed by SIGKILL" in output
    assert f"worker {1 - index} stopped: exit 0" in output


def test_workers_stop_when_their_parent_is_killed(
    start_parent: StartParent, database_url: str
) -> None:
    parent = start_parent("2", "--game-port", "0", env={"COURTSIDE_DATABASE_URL": database_url})
    workers = parent.wait_for_workers(2)
    parent.wait_until_answered_by({worker.pid for worker in workers})

    parent.process.kill()
    _, alive = psutil.wait_procs(workers, timeout=STOP_TIMEOUT)
    assert not alive
    assert "the parent is gone; stopping" in parent.output()


def test_a_worker_runs_with_the_parents_settings_on_its_own_game_port() -> None:
    config = Config(port=8000, workers=3, log_level="DEBUG", tick_rate=30, broadcast_rate=30,
                    secret_key="shared")
    environment = worker_environment(config, 2, database_url="postgresql://db/courtside", port=8000)
    worker = load_config({}, environment)
    assert worker == Config(
        port=8000, game_port=8003, workers=None, log_level="DEBUG", tick_rate=30,
        broadcast_rate=30, database_url="postgresql://db/courtside", secret_key="shared",
    )


def test_restarts_back_off_and_a_worker_dying_at_start_is_given_up() -> None:
    policy = RestartPolicy(first_delay=0.5, stable_after=10.0, max_deaths_in_a_row=5)
    deaths, delays = 0, []
    for served_for in (0.0, 0.0, 2.0, 9.9, 0.0):
        deaths = policy.deaths_in_a_row(deaths, served_for)
        delays.append(policy.delay(deaths))
    assert delays == [0.5, 1.0, 2.0, 4.0, None]
    # A worker that served a while before dying starts the count afresh.
    assert policy.deaths_in_a_row(4, served_for=10.0) == 1
    assert policy.delay(1) == 0.5
