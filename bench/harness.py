"""What every bench shares: the servers' failure, their embedded PostgreSQL, the
machine and revision a run records, and which processes are ours.

Benches import this module (and the small helpers beside it), never each other.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
import subprocess
import time
from pathlib import Path

import psutil

from cpu_usage import Snapshot, usage

DISTURBED_PERCENT = 5.0  # other processes' share of a core that disturbs a measurement


class ServerFailed(RuntimeError):
    """The server did not start, died during the bench, or did not stop cleanly."""


class EmbeddedPostgres:
    """The PostgreSQL a Courtside server started, remembered while it runs: it runs in
    its own session and would outlive a killed server, so ``terminate`` ends it after."""

    def __init__(self) -> None:
        self._seen: dict[int, psutil.Process] = {}

    def under(self, server: psutil.Process | None) -> list[psutil.Process]:
        """The server's child processes now (all of them PostgreSQL's)."""
        try:
            children = server.children(recursive=True) if server else []
        except psutil.NoSuchProcess:
            return []
        for child in children:
            self._seen.setdefault(child.pid, child)
        return children

    def still_running(self) -> list[int]:
        return [pid for pid, process in self._seen.items() if process.is_running()]

    def terminate(self) -> None:
        for process in self._seen.values():
            try:
                if process.is_running():
                    process.terminate()
            except psutil.NoSuchProcess:
                pass


def server_cores(workers: int | None, pinned: int) -> str:
    """taskset's list for a server: its one core, or every core for more than one worker
    (this script may have pinned itself to the load core already)."""
    return ",".join(map(str, range(os.cpu_count() or 1))) if (workers or 1) > 1 else str(pinned)


def is_worker(process: psutil.Process) -> bool:
    """A worker of ``courtside serve --workers N`` (the other children are PostgreSQL's)."""
    try:
        return "courtside.server.worker" in process.cmdline()
    except psutil.NoSuchProcess:
        return False


def machine() -> dict[str, object]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "hostname": platform.node(),
    }


def git_revision(repo: Path) -> str | None:
    try:
        finished = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10,
        )
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if finished.returncode != 0:
        return None
    return finished.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def our_processes(server, client, extra: dict[str, list[psutil.Process]] | None = None,
                  ) -> dict[str, list[psutil.Process]]:
    """By group; ``extra`` adds groups (a second client process), counted as ours."""
    return {"server": server.processes(), "postgres": server.helpers(),
            "client": [client.process], "orchestrator": [psutil.Process()], **(extra or {})}


def wait_for_quiet(server, client, log, *, within: float,
                   extra: dict[str, list[psutil.Process]] | None = None) -> float:
    """Before a window: wait (up to ``within`` s) for a second in which other processes
    used at most DISTURBED_PERCENT of a core. Returns the seconds waited."""
    began = time.monotonic()
    while time.monotonic() - began < within:
        before = Snapshot.take(our_processes(server, client, extra))
        time.sleep(1.0)
        if usage(before, Snapshot.take(our_processes(server, client, extra))).foreign_percent <= DISTURBED_PERCENT:
            break
    waited = time.monotonic() - began - 1.0
    if waited >= 1.0:
        log(f"  waited {waited:.0f} s for other processes to leave the cores")
    return round(waited, 1)


def histogram_buckets(metrics: list[str], metric: str) -> dict[float, float]:
    """Cumulative counts of a /metrics histogram, by upper bound, summed over scrapes
    (one per node)."""
    buckets: dict[float, float] = {}
    for text in metrics:
        for bound, count in re.findall(rf'^{metric}_bucket{{le="([^"]+)"}} (\S+)$',
                                       text, re.MULTILINE):
            buckets[float(bound)] = buckets.get(float(bound), 0.0) + float(count)
    return buckets


def histogram_quantile(q: float, before: dict[float, float], after: dict[float, float]) -> float | None:
    """Prometheus' histogram_quantile over the counts added between two scrapes, in ms."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    if not counts or counts[-1] <= 0:
        return None
    rank, lower, below = q * counts[-1], 0.0, 0.0
    for bound, cumulative in zip(bounds, counts):
        if cumulative >= rank:
            if bound == float("inf"):
                return round(lower * 1000, 2)
            share = (rank - below) / (cumulative - below) if cumulative > below else 1.0
            return round((lower + (bound - lower) * share) * 1000, 2)
        lower, below = bound, cumulative
    return None


def courtside_command(bench: str) -> Path | None:
    """The venv's ``courtside`` command for a bench that pins a server to core 0 and its
    load to core 1; None, with the reason on stderr, when taskset, a core or the venv
    is missing."""
    if shutil.which("taskset") is None:
        print(f"{bench}: taskset not found (`apt-get install -y util-linux`)", file=sys.stderr)
        return None
    if not {0, 1} <= os.sched_getaffinity(0):
        print(f"{bench}: needs cores 0 and 1", file=sys.stderr)
        return None
    courtside = Path(sys.executable).with_name("courtside")
    if not courtside.exists():
        print(f"{bench}: run it with the venv's python (.venv/bin/python)", file=sys.stderr)
        return None
    return courtside
