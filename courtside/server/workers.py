"""``courtside serve --workers N``: one parent, N worker nodes on one machine.

The parent owns what its workers share: the embedded PostgreSQL (or the configured
one), the migrations (applied once, before any worker starts), the secret key, and
the HTTP listening socket, bound once here and inherited by every worker, which
serves it through hypercorn's ``fd://`` bind (as hypercorn's own workers do). Each
worker is a whole node (``run_node``, started by ``worker.py``) on its own game port.
The parent restarts a worker that dies, with backoff, gives up on one that keeps
dying soon after it starts, and on SIGINT or SIGTERM drains them all (docs/WORKERS.md).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass

import trio

from courtside.persistence import Database, migrate

from .config import ENV_PREFIX, Config
from .node import postgres_for

log = logging.getLogger(__name__)

# What a worker may take to stop beyond the shutdown grace: stopping its actors and
# closing its pool. Then it is killed.
STOP_MARGIN_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """When the parent starts a dead worker again, and when it stops trying."""

    first_delay: float = 0.5
    # A worker that served this long had started well: its death counts from one again.
    stable_after: float = 10.0
    max_deaths_in_a_row: int = 5

    def delay(self, deaths_in_a_row: int) -> float | None:
        """The wait before the next start, doubling with each death in a row (so the
        longest is first_delay * 2 ** (max_deaths_in_a_row - 2)); None: give it up."""
        if deaths_in_a_row >= self.max_deaths_in_a_row:
            return None
        return self.first_delay * 2 ** (deaths_in_a_row - 1)

    def deaths_in_a_row(self, before: int, served_for: float) -> int:
        """A death counts on the ones before unless the worker served ``stable_after``
        first (a worker that never served, served 0 s)."""
        return before + 1 if served_for < self.stable_after else 1


async def serve_workers(config: Config) -> int:
    """Run ``config.workers`` workers until SIGINT or SIGTERM; returns the exit status:
    0 once stopped, 1 when every worker was given up."""
    stopping = trio.Event()
    # Watched from the start: a signal while the database starts means no worker starts.
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(_stop_on_signal, signals, stopping)
            await _run_workers(config, RestartPolicy(), stopping)
            nursery.cancel_scope.cancel()
    if stopping.is_set():
        log.info("stopped")
        return 0
    log.error("every worker was given up; exiting")
    return 1


async def _run_workers(config: Config, policy: RestartPolicy, stopping: trio.Event) -> None:
    """Until every worker is stopped or given up."""
    count = config.workers or 1
    async with postgres_for(config) as database_url:
        await _migrate_once(database_url)
        with _http_listener(config) as listener:
            port = listener.getsockname()[1]
            log.info(
                "serving HTTP on http://%s:%d with %d workers (game ports %s)",
                config.host, port, count, _game_ports(config, count),
            )
            async with trio.open_nursery() as running:
                for index in range(count):
                    worker = Worker(
                        index,
                        environment=worker_environment(
                            config, index, database_url=database_url, port=port,
                        ),
                        http_fd=listener.fileno(),
                        stop_timeout=config.shutdown_grace_seconds + STOP_MARGIN_SECONDS,
                        policy=policy,
                    )
                    running.start_soon(worker.run, stopping)


class Worker:
    """Worker ``index``: started, watched, started again when it dies, stopped."""

    def __init__(
        self,
        index: int,
        *,
        environment: dict[str, str],
        http_fd: int,
        stop_timeout: float,
        policy: RestartPolicy,
    ) -> None:
        self.index = index
        self._environment = environment
        self._http_fd = http_fd
        self._stop_timeout = stop_timeout
        self._policy = policy
        self._serving_since: float | None = None

    async def run(self, stopping: trio.Event) -> None:
        """Until ``stopping`` is set (the worker is then stopped) or it is given up."""
        deaths = 0
        while not stopping.is_set():
            process, served_for = await self._run_once(stopping)
            if stopping.is_set():
                log.info("worker %d stopped: %s", self.index, _exit_status(process.returncode))
                return
            deaths = self._policy.deaths_in_a_row(deaths, served_for)
            delay = self._policy.delay(deaths)
            if delay is None:
                log.error(
                    "worker %d given up: died %d times in a row, none serving %g s (last: %s)",
                    self.index, deaths, self._policy.stable_after,
                    _exit_status(process.returncode),
                )
                return
            log.warning(
                "worker %d (pid %d) %s after serving %.1f s; starting it again in %g s",
                self.index, process.pid, _exit_status(process.returncode), served_for, delay,
            )
            with trio.move_on_after(delay):
                await stopping.wait()

    async def _run_once(self, stopping: trio.Event) -> tuple[trio.Process, float]:
        """Start the worker and wait for its end; how long it served (0: it never did)."""
        self._serving_since = None
        link, worker_end = socket.socketpair()
        async with trio.SocketStream(trio.socket.from_stdlib_socket(link)) as worker:
            with worker_end:
                process = await trio.lowlevel.open_process(
                    [sys.executable, "-m", "courtside.server.worker",
                     str(self.index), str(self._http_fd), str(worker_end.fileno())],
                    env=self._environment,
                    pass_fds=(self._http_fd, worker_end.fileno()),
                    stdin=subprocess.DEVNULL,
                    # A Ctrl-C in the terminal reaches the parent alone, which stops
                    # the workers in order.
                    process_group=0,
                )
            log.info("worker %d started: pid %d", self.index, process.pid)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._stop_when, stopping, process)
                nursery.start_soon(self._note_serving, worker, process)
                await process.wait()
                nursery.cancel_scope.cancel()
        if self._serving_since is None:
            return process, 0.0
        return process, trio.current_time() - self._serving_since

    async def _note_serving(self, worker: trio.SocketStream, process: trio.Process) -> None:
        if await worker.receive_some():  # its one line, or end of file if it died first
            self._serving_since = trio.current_time()
            log.info("worker %d serving: pid %d", self.index, process.pid)

    async def _stop_when(self, stopping: trio.Event, process: trio.Process) -> None:
        await stopping.wait()
        process.send_signal(signal.SIGTERM)
        await trio.sleep(self._stop_timeout)
        log.warning(
            "worker %d did not stop within %g s; killing it", self.index, self._stop_timeout
        )
        process.kill()


def worker_environment(
    config: Config, index: int, *, database_url: str, port: int
) -> dict[str, str]:
    """The worker's settings, as the ``COURTSIDE_*`` variables it loads its config from:
    the parent's, on the shared database and HTTP port, with its own game port. The
    token key is the cluster's (or the one ``--secret-key`` gave every worker)."""
    base = config.game_port_number
    worker = dataclasses.replace(
        config, database_url=database_url, port=port,
        game_port=base + index if base else 0, workers=None,
    )
    environment = dict(os.environ)
    for field in dataclasses.fields(worker):
        if field.name == "oauth_providers":
            continue  # read from their own COURTSIDE_OAUTH_* variables, inherited as they are
        value = getattr(worker, field.name)
        # Empty means unset, over whatever the parent's own environment says.
        environment[ENV_PREFIX + field.name.upper()] = _as_setting(value)
    return environment


def _as_setting(value: object) -> str:
    """A Config value as its COURTSIDE_* variable spells it (lists comma-separated)."""
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)


async def _migrate_once(database_url: str) -> None:
    """Before any worker starts, so none waits on another's migration; each worker's own
    check (a node never serves an older schema) then finds nothing left to apply."""
    async with Database.open(database_url, pool_size=1) as database:
        await migrate(database)


def _http_listener(config: Config) -> socket.socket:
    """The one HTTP socket, bound as hypercorn binds its own (accepted sockets inherit
    TCP_NODELAY): connections wait here while a worker dies or restarts."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((config.host, config.port))
        listener.listen()
    except BaseException:
        listener.close()
        raise
    return listener


async def _stop_on_signal(signals: trio.abc.ReceiveChannel[int], stopping: trio.Event) -> None:
    async for signum in signals:
        log.info("received %s; stopping the workers", signal.Signals(signum).name)
        stopping.set()
        return


def _game_ports(config: Config, count: int) -> str:
    base = config.game_port_number
    return f"{base}-{base + count - 1}" if base else "any free"


def _exit_status(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit {returncode}"
