"""CPU accounting for bench/matches.py: our processes, the two cores, and everyone else.

A snapshot holds the CPU time (user + system) of each group of our processes and
the per-core times; two snapshots give each group's CPU % (100 = one core), how
busy each core was (softirq apart: on loopback much of the receiving side's TCP
work lands there, charged to no process), and the CPU that processes other than
ours used: other developers' test runs on a shared machine show up there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psutil


def cpu_seconds(processes: list[psutil.Process]) -> dict[int, tuple[float, float]]:
    """(user, system) CPU seconds per process."""
    spent = {}
    for process in processes:
        try:
            times = process.cpu_times()
            spent[process.pid] = (times.user, times.system)
        except psutil.NoSuchProcess:
            pass
    return spent


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: float
    cores: list
    groups: dict[str, dict[int, tuple[float, float]]]

    @classmethod
    def take(cls, groups: dict[str, list[psutil.Process]]) -> Snapshot:
        return cls(time.monotonic(), psutil.cpu_times(percpu=True),
                   {name: cpu_seconds(processes) for name, processes in groups.items()})


@dataclass(frozen=True, slots=True)
class Usage:
    wall: float
    seconds: dict[str, float]  # CPU seconds per group
    system: dict[str, float]  # of which in the kernel
    cores: dict[str, float]  # per core: busy %, softirq %, steal %
    foreign_percent: float

    def percent(self, group: str) -> float:
        return round(100.0 * self.seconds[group] / self.wall, 1)


def usage(before: Snapshot, after: Snapshot) -> Usage:
    wall = after.at - before.at
    seconds, system = {}, {}
    for name, spent in after.groups.items():
        # A process first seen in the second snapshot counts all its CPU time so far.
        earlier = before.groups.get(name, {})
        user = sum(u - earlier.get(pid, (0.0, 0.0))[0] for pid, (u, _) in spent.items())
        system[name] = sum(k - earlier.get(pid, (0.0, 0.0))[1] for pid, (_, k) in spent.items())
        seconds[name] = user + system[name]
    cores: dict[str, float] = {}
    everyone = 0.0
    for core, (start, end) in enumerate(zip(before.cores, after.cores)):
        total = sum(end) - sum(start)
        idle = (end.idle + end.iowait) - (start.idle + start.iowait)
        softirq = getattr(end, "softirq", 0.0) - getattr(start, "softirq", 0.0)
        cores[f"core{core}"] = round(100.0 * (total - idle) / total, 1) if total else 0.0
        cores[f"core{core}_softirq"] = round(100.0 * softirq / total, 1) if total else 0.0
        steal = getattr(end, "steal", 0.0) - getattr(start, "steal", 0.0)  # taken by the hypervisor
        cores[f"core{core}_steal"] = round(100.0 * steal / total, 1) if total else 0.0
        everyone += (end.user + end.nice + end.system) - (start.user + start.nice + start.system)
    foreign = max(0.0, 100.0 * (everyone - sum(seconds.values())) / wall) if wall else 0.0
    return Usage(wall, seconds, system, cores, round(foreign, 1))
