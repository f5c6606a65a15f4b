"""Match-engine capacity: how many 60 Hz 1v1 matches one core serves, against a bare baseline
and a Colyseus room.

One server at a time runs pinned to core 0 (bench/match_servers.py): Courtside
with every production duty on, then bench/baseline_bare.py, the same job done
the plain way with trio + trio-websocket, and, with ``--servers ...,colyseus``,
bench/colyseus/server.mjs: one Colyseus room per match (``npm ci`` installs its
pinned packages the first time), stepping the same physics and broadcasting the
same state keys as a "state" message each tick. bench/load_client.py, one lean
process on core 1, plays both sides of every match and answers every state
with a paddle update (60 Hz both ways). The ramp adds matches step by step; per
step, after the new matches play and a settle time, one measured window gives:
state updates received/s against expected, the client-side p50/p99/max
inter-arrival gap, server tick lateness p50/p99 (Courtside's histogram) and the
deadlines its shard skipped, server CPU (and CPU ms per 1000 state messages), RSS,
and the load client's own CPU.

Before each window it waits (up to a minute) for a second in which other
processes leave the cores alone: on a shared machine other developers' test
runs come and go. A step holds when received >= 99 % of expected and p99 gap
<= 25 ms. A failing
window is measured once more, and up to three times while other processes used
more than 5 % of a core during it; the step holds if any window holds. A
server's ramp stops at its first failing step. Its capacity is the largest
holding count; where the client's core passed 80 % by then, it is a lower bound.

    .venv/bin/python bench/matches.py [--seconds 10] [--settle 3] [--servers courtside,bare,colyseus]
        [--workers 1,2] [--courtside-steps 50,100,...] [--bare-steps 10,20,...]
        [--colyseus-steps 100,150,...] [--profile-at 200] [--perf-at 250]
        [--live-channels] [--waves 500] [--out bench/matches.json] [--plot bench/matches.png]

The report gives Courtside's capacity over the bare baseline's (target 5x) and, with
colyseus in ``--servers``, over the Colyseus room's (``colyseus_ratio``; target 1.5x,
in one run so that both meet the same machine). Node and npm must be on the PATH
for it.

``--workers 1,2`` runs Courtside once per count as ``courtside serve --workers N``
(in place of the plain ``courtside``): one worker pinned to core 0 as above, more
on every core, the load client sharing core 1 with them. Each gets its matches
per busy server core (capacity / the CPU of server, workers and PostgreSQL at
that step), and the report gives each count's share of one worker's figure
(target: 90 % or more, linear scaling).

``--live-channels`` (issue 20): every Courtside player also holds its user
socket open the whole time, as a browser tab would. bench/live_client.py, a
second child on the load core, opens each new guest's ``/ws/`` (cookie auth;
subscribed once its ping is answered) after the guest is made and before it
queues, and keeps reading whatever arrives (its ``game-start``, presence), so the
server never sees a slow consumer. Where: ``GET /api/live/``'s ``ws_url`` (the
game port); a server without that route (404: older revisions) serves ``/ws/``
on its HTTP port. Per step: sockets subscribed, closed and failed, the events
they got, and the live client's CPU, which counts with the load client's
towards the load core's 80 %.

``--waves N`` (issue 20): from the start of each Courtside window, N fresh guests
(``POST /api/auth/guest/``; every new guest has 1000 trophies, so the pairing pass
meets N equal counts) queue for duels at once from several threads, as the ramp's
own guests do. They hold no live channel and nobody plays them: the matches they
are paired into wait for their seats and abort after the seat timeout (600 s
here, set for the ramp), as matches of players who leave do, so in a long ramp
earlier waves' matches abort during later windows. After the window the wave's
guests in a match are counted (paired by the window's end) and the others are
told to leave the queue, so none is paired with a later step's players. Per
window: guests made, queued, paired, left, refusals by status, and the seconds to
make and to queue them. The pass rule is the same.

Either option prints a second table. Every run raises
COURTSIDE_MAX_CONNECTIONS_PER_IP: one address holds every socket (the server's default
budget per address, 512, refused the 257th match's upgrades). Every step reports
``loop_stall_max_ms``: the gauge ``courtside_loop_stall_seconds`` (the longest task step since the last
scrape; reading it resets it) read right after the window, the scrape just
before it having reset it; the largest over nodes. And ``loop_steps_over_25ms``
from ``courtside_loop_step_seconds``. Both are None on a server without them (an
older revision, the bare baseline, Colyseus). Live channels and waves apply to
Courtside only: the bare baseline and the Colyseus room have no users.

Exit status: 0 when every ramp ran (figures under target are reported, not
fatal); 1 when a server failed to start, died or could not be handed matches;
2 when a tool is missing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cpu_usage import Snapshot, usage
from json_child import Child
from harness import (
    DISTURBED_PERCENT,
    ServerFailed,
    courtside_command,
    git_revision,
    histogram_buckets,
    histogram_quantile,
    machine,
    our_processes,
    wait_for_quiet,
)
from match_servers import Bare, Colyseus, Courtside
from matches_report import plot, print_table

LOAD_CORE = 1
RATE = 60
MIN_RECEIVED = 0.99
MAX_P99_GAP_MS = 25.0
CLIENT_SATURATED_PERCENT = 80.0
PLAYING_TIMEOUT = 60.0
# Other processes (other developers' test runs) using more than this share of a core
# during a window disturb it: a failing disturbed window is measured again.
QUIET_WAIT = 60.0  # at most this long before a window for a quiet second
MAX_WINDOWS = 3
STEPS = {
    "courtside": [50, 100, 150, 200, 250, 300, 325, 350, 375, 400, 450, 500, 600, 700, 800, 1000],
    "bare": [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 140, 160, 200],
    "colyseus": [100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600, 700, 800],
}
TARGET_RATIO, STRETCH_RATIO = 5.0, 7.0
TARGET_COLYSEUS_RATIO = 1.5  # the issue: 1.5x a Colyseus room's matches per core
TARGET_SCALING = 0.90  # matches per busy server core with N workers against one worker's
LATENESS_METRIC = "courtside_tick_lateness_seconds"
SKIPPED_METRIC = "courtside_tick_skipped_total"
PROFILE_RATE = 173  # samples per second
LOAD_CLIENT_STOP_TIMEOUT = 10.0
STALL_METRIC = "courtside_loop_stall_seconds"  # gauge: longest step since the last scrape
STEP_METRIC = "courtside_loop_step_seconds"  # histogram of every step
LONG_STEP = 0.025  # a bound of that histogram: steps longer than the p99 gap limit
# 127.0.0.1 holds every player's socket, and its user socket with --live-channels
# (the server's default budget per address is 512).
CONNECTIONS_PER_IP = 100_000
LIVE_OPEN_TIMEOUT = 180.0
WAVE_TIMEOUT = 120.0  # a wave's guests created and queued, counted from the window's start


class LoadClient(Child):
    """bench/load_client.py as a child process on the load core, spoken to in JSON lines."""

    def __init__(self, python: str) -> None:
        script = Path(__file__).with_name("load_client.py")
        super().__init__("load client",
                         [python, str(script), "--core", str(LOAD_CORE), "--rate", str(RATE)])


class LiveClient(Child):
    """bench/live_client.py on the load core: every player's user socket, held open and read."""

    def __init__(self, python: str) -> None:
        script = Path(__file__).with_name("live_client.py")
        super().__init__("live client", [python, str(script), "--core", str(LOAD_CORE)])
        self.port = 0
        self.opened = 0

    def open(self, users: list[list]) -> None:
        """Open these players' /ws/ (cookie auth); all must be subscribed, the ping answered."""
        opened = self.ask("open", "opened", timeout=LIVE_OPEN_TIMEOUT,
                          transport="ws", port=self.port, users=users)
        if opened["failed"] or opened["subscribed"] < self.opened + len(users):
            raise ServerFailed(f"live channels: {opened['subscribed']} subscribed of "
                               f"{self.opened + len(users)}, {opened['failed']} failed: {opened['errors']}")
        self.opened += len(users)

    def figures(self) -> dict:
        """Sockets open, closed and failed so far, and every event they received."""
        status = self.ask("status", "status")
        events = self.ask("latencies", "latencies")["strays"]  # no bench rounds: every event is one
        return {"live_sockets": self.opened, "live_subscribed": status["subscribed"] - status["closed"],
                "live_closed": status["closed"], "live_failed": status["failed"],
                "live_events": events, "live_errors": status["errors"]}


def lateness_buckets(metrics: list[str]) -> dict[float, float]:
    return histogram_buckets(metrics, LATENESS_METRIC)


def longest_stall_ms(metrics: list[str]) -> float | None:
    """The longest loop step since the previous scrape, over every node (None without the metric)."""
    found = [re.search(rf"^{STALL_METRIC} (\S+)$", text, re.MULTILINE) for text in metrics]
    return round(1000 * max(float(f.group(1)) for f in found), 2) if found and all(found) else None


def long_steps(before: list[str], after: list[str]) -> int | None:
    """Loop steps longer than LONG_STEP between two scrapes (None without the histogram)."""
    counts = [histogram_buckets(scrape, STEP_METRIC) for scrape in (before, after)]
    if not all(LONG_STEP in c and float("inf") in c for c in counts):
        return None
    over = [c[float("inf")] - c[LONG_STEP] for c in counts]
    return int(over[1] - over[0])


def skipped_deadlines(metrics: list[str]) -> float | None:
    """The shards' skipped tick deadlines so far: each one a state no player gets."""
    found = [re.search(rf"^{SKIPPED_METRIC} (\S+)$", text, re.MULTILINE) for text in metrics]
    return sum(float(f.group(1)) for f in found) if found and all(found) else None


def measure(server, client: LoadClient, matches: int, seconds: float, log,
            live: LiveClient | None = None, wave_size: int | None = None) -> dict:
    """One window: the figures of one step. With ``wave_size``, that many fresh guests
    queue for duels from the window's start (``run_wave``)."""
    extra = {"live": [live.process]} if live else None
    waited = wait_for_quiet(server, client, log, within=QUIET_WAIT, extra=extra)
    metrics_before = server.metrics()  # also resets the loop-stall gauge
    before = Snapshot.take(our_processes(server, client, extra))
    client.ask("mark", "marked")
    with ThreadPoolExecutor(1) as beside:
        wave = beside.submit(server.queue_wave, wave_size) if wave_size else None
        time.sleep(seconds)
        report = client.ask("report", "report")
        cpu = usage(before, Snapshot.take(our_processes(server, client, extra)))
        metrics_after = server.metrics()
        outlasted = wave is not None and not wave.done()
        wave = wave.result(timeout=WAVE_TIMEOUT) if wave is not None else None
    lateness_before, lateness_after = lateness_buckets(metrics_before), lateness_buckets(metrics_after)
    skipped_before, skipped_after = skipped_deadlines(metrics_before), skipped_deadlines(metrics_after)
    if not server.alive():
        raise ServerFailed(f"{server.name} died during the window:\n{server.log_tail()}")

    waves = wave_figures(server, wave, outlasted) if wave is not None else {}
    lives = live.figures() if live is not None else {}

    received, expected = report["received"], report["expected"]
    received_share = received / expected if expected else 0.0
    p99 = report["gap_p99_ms"]
    holds = received_share >= MIN_RECEIVED and p99 is not None and p99 <= MAX_P99_GAP_MS
    return {
        "matches": matches,
        "seconds": report["seconds"],
        "holds": holds,
        "players_playing": report["playing_at_mark"],
        "received": received,
        "expected": expected,
        "received_per_s": round(received / report["seconds"], 1),
        "expected_per_s": round(expected / report["seconds"], 1),
        "received_percent": round(100 * received_share, 2),
        "gap_p50_ms": report["gap_p50_ms"],
        "gap_p99_ms": p99,
        "gap_max_ms": report["gap_max_ms"],
        "per_player_min": report["per_conn_min"],
        "per_player_max": report["per_conn_max"],
        "skipped_ticks_seen": report["skipped_ticks"],
        "goals": report["goals"],
        "players_closed": report["closed_in_window"],
        "tick_lateness_p50_ms": histogram_quantile(0.50, lateness_before, lateness_after),
        "tick_lateness_p99_ms": histogram_quantile(0.99, lateness_before, lateness_after),
        # The gauge read right after the window: the longest step since the scrape before it.
        "loop_stall_max_ms": longest_stall_ms(metrics_after),
        "loop_steps_over_25ms": long_steps(metrics_before, metrics_after),
        # Tick numbers never jump (a skipped deadline does not skip a physics step):
        # the states the shard's skips cost are counted on its own metric.
        "deadlines_skipped": (None if skipped_before is None or skipped_after is None
                              else int(skipped_after - skipped_before)),
        "server_cpu_percent": cpu.percent("server"),
        "server_system_cpu_percent": round(100.0 * cpu.system["server"] / cpu.wall, 1),
        "postgres_cpu_percent": cpu.percent("postgres") if isinstance(server, Courtside) else None,
        "server_cpu_ms_per_1000_states": (round(1e6 * cpu.seconds["server"] / received, 1)
                                          if received else None),
        "server_rss_mib": round(server.rss_bytes() / 2**20, 1),
        "nodes_scraped": len(metrics_after),
        "client_cpu_percent": report["cpu_percent"],
        "client_system_cpu_percent": round(100 * report["cpu_system_seconds"] / report["seconds"], 1),
        # The live client shares the load core (none without --live-channels).
        "live_client_cpu_percent": cpu.percent("live") if live else None,
        "live_client_system_cpu_percent": (round(100.0 * cpu.system["live"] / cpu.wall, 1)
                                           if live else None),
        "client_saturated": (report["cpu_percent"] + (cpu.percent("live") if live else 0.0)
                             > CLIENT_SATURATED_PERCENT),
        "orchestrator_cpu_percent": cpu.percent("orchestrator"),
        "foreign_cpu_percent": cpu.foreign_percent,
        "disturbed": cpu.foreign_percent > DISTURBED_PERCENT,
        "waited_for_quiet_seconds": waited,
        "cores": cpu.cores,
        **lives,
        **waves,
    }


def wave_figures(server, wave, outlasted: bool) -> dict:
    """A window's wave: queued, paired by the window's end (read just after it), and
    those still waiting then, taken out of the queue (Courtside.settle_wave)."""
    paired, left = server.settle_wave(wave)
    return {
        "wave_guests": wave.guests,
        "wave_created": len(wave.tokens),
        "wave_queued": len(wave.queued),
        "wave_paired": paired,
        "wave_left_unpaired": left,
        "wave_guest_refused": dict(wave.guest_refused),
        "wave_queue_refused": dict(wave.queue_refused),
        "wave_create_seconds": wave.create_seconds,
        "wave_queue_seconds": wave.queue_seconds,
        "wave_outlasted_window": outlasted,
    }


def ramp(server, client: LoadClient, steps: list[int], args, deadline: float, log,
         live: LiveClient | None = None) -> list[dict]:
    results: list[dict] = []
    wave_size = args.waves if isinstance(server, Courtside) else None
    playing = 0
    for target in steps:
        if target <= playing:
            continue
        if time.monotonic() > deadline:
            log(f"{server.name}: run budget spent before {target} matches; ramp stopped")
            break
        began = time.monotonic()
        conns = (server.open_matches(target - playing, before_queueing=live.open) if live
                 else server.open_matches(target - playing))
        added = client.ask("add", "added", timeout=120, conns=conns, wire=server.wire)
        if added["failed"]:
            raise ServerFailed(f"{added['failed']} connections failed: {added['errors']}")
        wait_until = time.monotonic() + PLAYING_TIMEOUT
        while (status := client.ask("status", "status"))["playing"] < 2 * target:
            if time.monotonic() > wait_until:
                raise ServerFailed(f"only {status['playing']} of {2 * target} players playing: {status}")
            time.sleep(0.25)
        playing = target
        setup = time.monotonic() - began
        time.sleep(args.settle)
        windows = [measure(server, client, target, args.seconds, log, live, wave_size)]
        # A failing window gets a second chance; a failing disturbed one up to MAX_WINDOWS.
        while (not windows[-1]["holds"]
               and (len(windows) < 2 or (windows[-1]["disturbed"] and len(windows) < MAX_WINDOWS))):
            windows.append(measure(server, client, target, args.seconds, log, live, wave_size))
        chosen = next((i for i, w in enumerate(windows) if w["holds"]), len(windows) - 1)
        step = {**windows[chosen], "windows": len(windows), "setup_seconds": round(setup, 1),
                "other_windows": [w for i, w in enumerate(windows) if i != chosen]}
        results.append(step)
        log(f"{server.name:>9} {target:>5} matches: recv {step['received_percent']:6.2f} % "
            f"gap p50/p99/max {step['gap_p50_ms']}/{step['gap_p99_ms']}/{step['gap_max_ms']} ms "
            f"server {step['server_cpu_percent']} % client {step['client_cpu_percent']} % "
            f"foreign {step['foreign_cpu_percent']} % {'holds' if step['holds'] else 'FAILS'}"
            + (f" (window {chosen + 1} of {len(windows)})" if len(windows) > 1 else "")
            + (f"; stall {step['loop_stall_max_ms']} ms" if step["loop_stall_max_ms"] is not None else "")
            + (f"; live {step['live_subscribed']}/{step['live_sockets']} subscribed,"
               f" {step['live_closed']} closed" if live else "")
            + (f"; wave {step['wave_queued']} queued, {step['wave_paired']} paired" if wave_size else ""))
        if args.profile_at == target and isinstance(server, Courtside):
            profile(server, args.profile_out, args.seconds, log)
        if args.perf_at == target:
            step["perf_percent"] = perf_split(server, args.seconds, log)
        if not step["holds"]:
            break
    return results


def profile(server, out: Path, seconds: float, log) -> None:
    """py-spy over one extra, unreported window (sampling slows the server).

    Not ``--gil``: in py-spy's default (blocking) mode it credits about a fifth of
    the samples to trio's ``Deadlines.expire``, against 1-2 % without it or with
    ``--nonblocking``; and it drops the time spent in send/recv, which release the
    GIL. ``--threads`` tags each stack with its thread, so the Trio thread's share can
    be read apart from idle pool threads. The rate is a prime, off the 60 Hz grid.
    """
    py_spy = Path(sys.executable).with_name("py-spy")
    command = ["taskset", "-c", str(LOAD_CORE), str(py_spy), "record", "--threads",
               "-r", str(PROFILE_RATE), "-d", str(int(seconds)), "-f", "raw", "-o", str(out),
               "--pid", str(server.process.pid)]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    log(f"profile: {shlex.join(command)} -> exit {finished.returncode}")


def perf_split(server, seconds: float, log) -> dict[str, float]:
    """Where the server process's time goes, by perf over one extra, unreported
    window: the kernel (the sockets' sends and receives: the floor), the language's
    runtime (CPython's interpreter; node and its JIT-compiled code), C extensions
    (msgspec, and the standard library's _socket and select), and libc and the rest;
    percent of the samples. For issue 20's question of how much of a state's cost is
    still Python. Empty, with the reason logged, where perf cannot record."""
    with tempfile.TemporaryDirectory(prefix="courtside-perf-") as work:
        data = str(Path(work) / "perf.data")
        record = ["taskset", "-c", str(LOAD_CORE), "perf", "record", "-q", "-F", str(PROFILE_RATE),
                  "-p", str(server.process.pid), "-o", data, "--", "sleep", str(seconds)]
        try:
            subprocess.run(record, capture_output=True, timeout=seconds + 60, check=True)
            report = subprocess.run(["perf", "report", "-i", data, "--sort", "dso", "--stdio", "-q"],
                                    capture_output=True, text=True, timeout=120, check=True).stdout
        except (OSError, subprocess.SubprocessError) as error:
            log(f"perf {server.name}: not recorded ({error})")
            return {}
    split: dict[str, float] = {}
    for percent, dso in re.findall(r"^\s*([\d.]+)%\s+(\S+)", report, re.MULTILINE):
        part = _runtime_part(dso)
        split[part] = split.get(part, 0.0) + float(percent)
    split = {part: round(share, 1) for part, share in split.items()}
    log(f"perf {server.name}: " + ", ".join(f"{part} {share} %" for part, share in split.items()))
    return split


def _runtime_part(dso: str) -> str:
    if dso.startswith("[kernel"):
        return "kernel"
    if ".cpython-" in dso:
        return "C extensions"
    if "python" in dso or dso == "node" or dso.startswith(("perf-", "[JIT]", "[unknown]")):
        return "runtime"
    return "libc and other"


def capacity(results: list[dict]) -> dict:
    holding = [r for r in results if r["holds"]]
    best = max(holding, key=lambda r: r["matches"], default=None)
    failed = next((r for r in results if not r["holds"]), None)
    busy_cores = best and (best["server_cpu_percent"] + (best["postgres_cpu_percent"] or 0.0)) / 100
    return {
        "matches": best["matches"] if best else 0,
        "busy_server_cores": round(busy_cores, 2) if busy_cores else None,
        "matches_per_busy_core": round(best["matches"] / busy_cores, 1) if busy_cores else None,
        "first_failing_step": failed["matches"] if failed else None,
        "lower_bound": any(r["client_saturated"] for r in results if best and r["matches"] <= best["matches"]),
        "ramp_ended_without_failure": failed is None,
    }


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = lambda text: [int(n) for n in text.split(",")]  # noqa: E731
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per step (10)")
    parser.add_argument("--settle", type=float, default=3.0, help="wait after a step's matches play (3)")
    parser.add_argument("--servers", default="courtside,bare",
                        help="which, in order, of courtside, bare and colyseus (courtside,bare)")
    parser.add_argument("--workers", type=steps,
                        help="run Courtside as `serve --workers N` once per count (e.g. 1,2)")
    parser.add_argument("--courtside-steps", type=steps, default=STEPS["courtside"])
    parser.add_argument("--bare-steps", type=steps, default=STEPS["bare"])
    parser.add_argument("--colyseus-steps", type=steps, default=STEPS["colyseus"])
    parser.add_argument("--max-minutes", type=float, default=12.0, help="ramp budget per server (12)")
    parser.add_argument("--profile-at", type=int, help="py-spy Courtside after this step")
    parser.add_argument("--perf-at", type=int,
                        help="after this step, split each server's time by perf: kernel, runtime, ...")
    parser.add_argument("--profile-out", type=Path, default=Path("/tmp/courtside-matches.pyspy.txt"))
    parser.add_argument("--live-channels", action="store_true",
                        help="every Courtside player also holds its user socket open (live_client.py)")
    parser.add_argument("--waves", type=int, metavar="N",
                        help="N fresh guests queue for duels during each Courtside window")
    parser.add_argument("--out", type=Path, default=Path("bench/matches.json"))
    parser.add_argument("--plot", type=Path, default=Path("bench/matches.png"))
    return parser.parse_args()


def _runs(args: argparse.Namespace) -> list[tuple[str, int | None]]:
    """(server kind, worker count) in order: with --workers, one Courtside per count."""
    runs: list[tuple[str, int | None]] = []
    for kind in args.servers.split(","):
        if kind == "courtside" and args.workers:
            runs += [("courtside", workers) for workers in args.workers]
        else:
            runs.append((kind, None))
    return runs


def _server(kind: str, work: Path, courtside: Path, workers: int | None, args: argparse.Namespace):
    """One run's server, not started yet."""
    if kind == "courtside":
        return Courtside(work, str(courtside), workers, CONNECTIONS_PER_IP)
    if kind == "colyseus":
        return Colyseus(work)
    return Bare(work, sys.executable, max(args.bare_steps))


def main() -> int:
    args = _parse_args()
    courtside = courtside_command("bench/matches.py")
    if courtside is None:
        return 2
    kinds = args.servers.split(",")
    if unknown := set(kinds) - set(STEPS):
        print(f"bench/matches.py: unknown --servers {','.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "colyseus" in kinds and not (shutil.which("node") and shutil.which("npm")):
        print("bench/matches.py: the colyseus server needs node and npm on the PATH", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {LOAD_CORE})  # this script and its sampling stay off the server's core
    started_at = datetime.datetime.now(datetime.UTC)

    def log(line: str) -> None:
        print(line, flush=True)

    report: dict = {
        "benchmark": "matches", "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(), "revision": git_revision(Path(__file__).resolve().parent.parent),
        "command": shlex.join([sys.executable, *sys.argv]), "rate_hz": RATE,
        "criteria": {"min_received_percent": 100 * MIN_RECEIVED, "max_p99_gap_ms": MAX_P99_GAP_MS,
                     "client_saturated_above_percent": CLIENT_SATURATED_PERCENT},
        "seconds": args.seconds, "settle_seconds": args.settle, "servers": {},
    }
    if args.live_channels or args.waves:
        report |= {"live_channels": args.live_channels, "wave_guests": args.waves}
    with tempfile.TemporaryDirectory(prefix="courtside-matches-") as work:
        for kind, workers in _runs(args):
            steps = getattr(args, f"{kind}_steps")
            server = _server(kind, Path(work), courtside, workers, args)
            name = server.name
            client = live = None
            channel = None
            try:
                log(f"starting {shlex.join(server.command)}")
                server.start()
                client = LoadClient(sys.executable)
                if args.live_channels and isinstance(server, Courtside):
                    ws_url, port, advertised = server.live_channel()
                    channel = {"ws_url": ws_url, "from_api_live": advertised}
                    log(f"live channels on {ws_url}"
                        + ("" if advertised else " (no GET /api/live/: the HTTP port's /ws/)"))
                    live = LiveClient(sys.executable)
                    live.port = port
                results = ramp(server, client, steps, args, time.monotonic() + 60 * args.max_minutes, log, live)
            except (ServerFailed, TimeoutError) as error:
                print(f"bench/matches.py: {name}: {error}\n--- log ---\n{server.log_tail()}", file=sys.stderr)
                return 1
            finally:
                if client is not None:
                    client.stop(LOAD_CLIENT_STOP_TIMEOUT)
                if live is not None:
                    live.stop(LOAD_CLIENT_STOP_TIMEOUT)
                exit_status = server.stop()
                server.cleanup()
            report["servers"][name] = {
                "command": shlex.join(server.command), "env": server.env,
                "load_client_command": shlex.join(client.command), "exit_status": exit_status,
                "steps": results, "capacity": capacity(results),
            }
            if live is not None:
                report["servers"][name] |= {"live_channel": channel,
                                            "live_client_command": shlex.join(live.command)}

    servers = report["servers"]
    one = servers.get("courtside-w1", {}).get("capacity", {}).get("matches_per_busy_core")
    if one:
        report["scaling"] = {
            name: round(server["capacity"]["matches_per_busy_core"] / one, 3)
            for name, server in servers.items()
            if name.startswith("courtside-w") and server["capacity"]["matches_per_busy_core"]
        } | {"target": TARGET_SCALING}
    if "courtside" in servers and "bare" in servers:
        ours, bare = servers["courtside"]["capacity"]["matches"], servers["bare"]["capacity"]["matches"]
        report["ratio"] = {"courtside_over_bare": round(ours / bare, 2) if bare else None,
                           "target": TARGET_RATIO, "stretch": STRETCH_RATIO}
    if "courtside" in servers and "colyseus" in servers:
        ours, theirs = (servers[name]["capacity"]["matches"] for name in ("courtside", "colyseus"))
        report["colyseus_ratio"] = {"courtside_over_colyseus": round(ours / theirs, 2) if theirs else None,
                                    "target": TARGET_COLYSEUS_RATIO}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    if "colyseus_ratio" in report:
        ratio = report["colyseus_ratio"]["courtside_over_colyseus"]
        print(f"Courtside / Colyseus room: {'-' if ratio is None else f'{ratio:.2f}'}x "
              f"(target >= {TARGET_COLYSEUS_RATIO}x)")
    plot(report, args.plot)
    print(f"figures written to {args.out}, plot to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
