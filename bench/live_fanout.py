"""User-channel fan-out: one event to N connected users, how late each gets it, and
what N idle connections cost in memory.

Per transport (`ws`: `/ws/` on the game port, the lean listener the SDK uses;
`ws-http`: `/ws/` on the HTTP port; `sse`: `/sse/users/`), a fresh Courtside node
(bench/live_server.py: ``run_node`` in-process, embedded PostgreSQL, pinned to
core 0) gets N users; bench/live_client.py (one process, raw sockets on one
epoll, pinned to core 1) opens one connection per user and waits until every
one is subscribed. The server's RSS is taken before any connection and after
the N connections sat idle for a while. Then R rounds: the node publishes one
``bench`` event to all N users in one ``Bus.publish`` call, the client
records per delivery receive time minus ``sent_at`` (same clock), and the next
round starts ``--gap`` seconds after every user got the previous one, once a
second passed in which processes other than ours used at most 5 % of a core
(waiting at most 5 s for it). Reported: per round the time until all N had
it, how long the node stayed busy and its CPU, split into the hub's loop over
the users, garbage collection and the rest; over all deliveries p50/p99/max;
missing and duplicated deliveries (both should be 0).

A round during which other processes (other developers' test runs) used more
than 5 % of a core is disturbed: it is kept and reported, and another round is
run in its place, up to twice --rounds in all and only while --max-minutes (per
transport, from its first round) last. Figures are given over all rounds and
over the undisturbed ones.

    .venv/bin/python bench/live_fanout.py [--users 5000] [--rounds 20] [--gap 1] [--max-minutes 2.5]
        [--transports ws,ws-http,sse] [--profile /tmp/live.pyspy.txt] [--out bench/live_fanout.json]

Exit status: 0 when every transport ran (figures are reported, not judged); 1 when
the server failed to start or died, or connections could not be opened; 2 when a
tool is missing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from cpu_usage import Snapshot, usage
from harness import (
    DISTURBED_PERCENT,
    EmbeddedPostgres,
    ServerFailed,
    git_revision,
    machine,
    our_processes,
    wait_for_quiet,
)
from json_child import Child
from live_client import percentile

SERVER_CORE, LOAD_CORE = 0, 1
START_TIMEOUT = 180.0
OPEN_TIMEOUT = 300.0
ROUND_TIMEOUT = 30.0
STOP_TIMEOUT = 60.0
# Between rounds: at most this long for a second in which other processes use at most
# DISTURBED_PERCENT of a core.
QUIET_WAIT = 5.0
IDLE_QUIET_WAIT = 60.0  # before the idle-memory reading
MAX_ROUNDS_FACTOR = 2
# Connections sit idle this long before the memory reading: one SSE heartbeat period
# (courtside/http/live/sse.py, 15 s) and a second, so every stream sends one meanwhile.
IDLE_SECONDS = 16.0
PROFILE_RATE = 173  # py-spy samples per second, as bench/matches.py
PROFILE_ROUNDS = 5
BENCH = Path(__file__).resolve().parent


class Server(Child):
    """bench/live_server.py on the server core, with its embedded PostgreSQL."""

    def __init__(self, work: Path) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="courtside-live-data-", dir=work))
        # As root the embedded PostgreSQL runs as another account that must traverse it.
        self.data_dir.chmod(0o755)
        work.chmod(0o755)
        super().__init__("server", [sys.executable, str(BENCH / "live_server.py"),
                                    "--core", str(SERVER_CORE), "--data-dir", str(self.data_dir)],
                         work / "server.log")
        self._postgres = EmbeddedPostgres()

    def helpers(self) -> list[psutil.Process]:
        """The embedded PostgreSQL's processes (for matches.our_processes)."""
        return self._postgres.under(self.process)

    def rss_kib(self) -> int:
        return self.process.memory_info().rss // 1024

    def cleanup(self) -> None:
        self._postgres.terminate()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def run_transport(transport: str, args: argparse.Namespace, work: Path, log) -> dict:
    server = Server(work)
    client: Child | None = None
    try:
        ready = server.wait_for("ready", START_TIMEOUT)
        port = ready["game_port"] if transport == "ws" else ready["port"]
        began = time.monotonic()
        users = server.ask("users", "users", timeout=120, count=args.users)["users"]
        log(f"{transport}: node on port {port}, {len(users)} users in {time.monotonic() - began:.1f} s")
        time.sleep(2.0)
        rss_before = server.rss_kib()

        client = Child("client", [sys.executable, str(BENCH / "live_client.py"), "--core", str(LOAD_CORE)],
                       work / f"client-{transport}.log")
        opened = client.ask("open", "opened", timeout=OPEN_TIMEOUT, port=port, users=users,
                            transport="sse" if transport == "sse" else "ws")
        log(f"{transport}: {opened['subscribed']} subscribed, {opened['failed']} failed "
            f"in {opened['seconds']} s {opened['errors'] or ''}")
        if opened["failed"]:
            raise ServerFailed(f"{opened['failed']} connections failed: {opened['errors']}")
        open_sockets = server.ask("open_sockets", "open_sockets")["count"]

        idle_from = Snapshot.take(our_processes(server, client))
        time.sleep(IDLE_SECONDS)
        idle = usage(idle_from, Snapshot.take(our_processes(server, client)))
        rss_idle = server.rss_kib()
        per_connection = (rss_idle - rss_before) / opened["subscribed"]
        log(f"{transport}: server RSS {rss_before / 1024:.1f} MiB before, {rss_idle / 1024:.1f} MiB "
            f"with {opened['subscribed']} idle connections: {per_connection:.1f} KiB each")

        waited = wait_for_quiet(server, client, log, within=IDLE_QUIET_WAIT)
        rounds: list[dict] = []
        # Disturbed rounds are kept and reported, and more are run in their place, up to
        # MAX_ROUNDS_FACTOR times --rounds in all and while --max-minutes last.
        replace_until = time.monotonic() + 60 * args.max_minutes
        while len(rounds) < args.rounds or (
                sum(not r["disturbed"] for r in rounds) < args.rounds
                and len(rounds) < MAX_ROUNDS_FACTOR * args.rounds
                and time.monotonic() < replace_until):
            rounds.append(fan_out(server, client, len(rounds), args.gap, log))
        delivered = client.ask("latencies", "latencies", timeout=60)
        by_round, strays = delivered["rounds"], delivered["strays"]
        status = client.ask("status", "status")
        rss_after = server.rss_kib()
        profile = run_profile(server, client, args, transport, log) if args.profile else None
        if not server.alive():
            raise ServerFailed(f"server died:\n{server.log_tail()}")
    finally:
        client_exit = client.stop(STOP_TIMEOUT) if client else None
        server_exit = server.stop(STOP_TIMEOUT)
        server.cleanup()

    return {
        "transport": transport, "users": args.users, "port": port,
        "subscribed": opened["subscribed"], "failed": opened["failed"],
        "open_seconds": opened["seconds"], "server_open_sockets": open_sockets,
        "memory": {
            "server_rss_before_kib": rss_before, "server_rss_idle_kib": rss_idle,
            "kib_per_connection": round(per_connection, 1),
            "server_rss_after_rounds_kib": rss_after,
            "idle_server_cpu_percent": idle.percent("server"),
            "idle_postgres_cpu_percent": idle.percent("postgres"),
        },
        "waited_for_quiet_seconds": waited,
        "strays": strays,
        "closed_during_rounds": status["closed"],
        "summary": {
            "all": summarise(rounds, by_round),
            "undisturbed": summarise([r for r in rounds if not r["disturbed"]], by_round),
        },
        "rounds": rounds,
        "profile": profile,
        "server_exit_status": server_exit, "client_exit_status": client_exit,
        "server_command": shlex.join(server.command),
        "client_command": shlex.join(client.command) if client else None,
    }


def fan_out(server: Server, client: Child, number: int, gap: float, log) -> dict:
    """One round: one publish to every user; back once all have it (or ROUND_TIMEOUT)."""
    before = Snapshot.take(our_processes(server, client))
    client.ask("expect", "expecting", round=number)
    published = server.ask("publish", "published", timeout=ROUND_TIMEOUT, round=number)
    try:
        client.wait_for("round_done", ROUND_TIMEOUT)
    except TimeoutError:
        log(f"  round {number}: not every user had the event after {ROUND_TIMEOUT:.0f} s")
    cpu = usage(before, Snapshot.take(our_processes(server, client)))
    figures = client.ask("round", "round", round=number)
    del figures["ev"]
    received = figures["received"] or 1
    result = {
        **figures,
        "server_busy_ms": round(1000 * published["busy_seconds"], 1),
        "server_busy_cpu_ms": round(1000 * published["busy_cpu_seconds"], 1),
        "hub_loop_ms": round(1000 * published["hub_seconds"], 1),
        "gc_ms": round(1000 * sum(published["gc_seconds"]), 1),
        "gc_ms_by_generation": [round(1000 * seconds, 1) for seconds in published["gc_seconds"]],
        "gc_collections": published["gc_collections"],
        "server_cpu_ms": round(1000 * cpu.seconds["server"], 1),
        "server_system_cpu_ms": round(1000 * cpu.system["server"], 1),
        "server_cpu_us_per_delivery": round(1e6 * published["busy_cpu_seconds"] / received, 1),
        "postgres_cpu_ms": round(1000 * cpu.seconds["postgres"], 1),
        "window_ms": round(1000 * cpu.wall, 1),
        "cores": cpu.cores,
        "foreign_cpu_percent": cpu.foreign_percent,
        "disturbed": cpu.foreign_percent > DISTURBED_PERCENT,
    }
    log(f"  round {number:>2}: all {figures['received']}/{figures['expected']} after "
        f"{figures['all_after_ms']} ms (p50 {figures['p50_ms']}, first {figures['first_ms']}); "
        f"server busy {result['server_busy_ms']} ms, CPU {result['server_busy_cpu_ms']} ms "
        f"(hub loop {result['hub_loop_ms']}, gc {result['gc_ms_by_generation']} ms in "
        f"{result['gc_collections']} collections); "
        f"client CPU {figures['client_cpu_ms']} ms; missing {figures['missing']}, "
        f"dup {figures['duplicates']}; foreign {cpu.foreign_percent} %")
    quiet_gap(server, client, gap)
    return result


def quiet_gap(server: Server, client: Child, gap: float) -> None:
    """Wait ``gap`` s, then up to QUIET_WAIT s more, in 1 s samples, for a second in
    which processes other than ours (other developers' test runs) leave the cores alone."""
    time.sleep(gap)
    began = time.monotonic()
    while time.monotonic() - began < QUIET_WAIT:
        before = Snapshot.take(our_processes(server, client))
        time.sleep(1.0)
        if usage(before, Snapshot.take(our_processes(server, client))).foreign_percent <= DISTURBED_PERCENT:
            return


def run_profile(server: Server, client: Child, args: argparse.Namespace, transport: str, log) -> dict:
    """py-spy over PROFILE_ROUNDS extra, unreported rounds (sampling slows the server).

    As bench/matches.py: ``--threads`` and not ``--gil``, on the load core.
    """
    out = args.profile.with_name(f"{args.profile.stem}-{transport}{args.profile.suffix}")
    seconds = int(PROFILE_ROUNDS * (args.gap + 2) + 2)
    command = ["taskset", "-c", str(LOAD_CORE), str(Path(sys.executable).with_name("py-spy")),
               "record", "--threads", "-r", str(PROFILE_RATE), "-d", str(seconds), "-f", "raw",
               "-o", str(out), "--pid", str(server.process.pid)]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)
    for number in range(args.rounds, args.rounds + PROFILE_ROUNDS):
        fan_out(server, client, number, args.gap, log)
    _, errors = recorder.communicate(timeout=seconds + 60)
    log(f"profile: {shlex.join(command)} -> exit {recorder.returncode}")
    return {"command": shlex.join(command), "exit_status": recorder.returncode, "out": str(out),
            "stderr": errors.decode(errors="replace")[-500:]}


def summarise(rounds: list[dict], by_round: dict[str, list[float]]) -> dict:
    """Figures over these rounds: latency percentiles over every delivery, medians per round."""
    latencies = sorted(x for r in rounds for x in by_round.get(str(r["round"]), ()))
    complete = [r["all_after_ms"] for r in rounds if r["all_after_ms"] is not None]
    return {
        "rounds": len(rounds),
        "deliveries": len(latencies),
        "expected_deliveries": sum(r["expected"] for r in rounds),
        "missing": sum(r["missing"] for r in rounds),
        "duplicates": sum(r["duplicates"] for r in rounds),
        "latency_ms": {"p50": _ms(percentile(latencies, 0.50)), "p99": _ms(percentile(latencies, 0.99)),
                       "max": _ms(latencies[-1] if latencies else None)},
        "all_received_ms": {"min": min(complete, default=None), "median": median(rounds, "all_after_ms"),
                            "max": max(complete, default=None)},
        "median_per_round": {key: median(rounds, key) for key in (
            "first_ms", "p50_ms", "server_busy_ms", "server_busy_cpu_ms", "hub_loop_ms", "gc_ms",
            "server_cpu_us_per_delivery", "client_cpu_ms")},
        "gc_ms_max": max((r["gc_ms"] for r in rounds), default=None),
        "full_collections": sum(r["gc_collections"][2] for r in rounds),
    }


def median(rounds: list[dict], key: str) -> float | None:
    values = sorted(r[key] for r in rounds if r[key] is not None)
    return percentile(values, 0.5)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 2)


def print_table(report: dict) -> None:
    header = (f"{'transport':<9} {'users':>5} {'rounds':<14} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'all-got med':>11} {'first med':>9} {'srv CPU/round':>13} {'hub':>5} {'gc':>5} "
              f"{'us/deliv':>8} {'miss':>4} {'dup':>3} {'KiB/conn':>8} {'RSS MiB before/idle':>19}")
    print()
    print(header)
    print("-" * len(header))
    for result in report["transports"].values():
        memory = result["memory"]
        for which, summary in result["summary"].items():
            latency, per_round = summary["latency_ms"], summary["median_per_round"]
            if not summary["rounds"]:
                continue
            print(f"{result['transport']:<9} {result['subscribed']:>5} {which + ' ' + str(summary['rounds']):<14} "
                  f"{latency['p50']:>7} {latency['p99']:>7} {latency['max']:>7} "
                  f"{summary['all_received_ms']['median']:>11} {per_round['first_ms']:>9} "
                  f"{per_round['server_busy_cpu_ms']:>13} {per_round['hub_loop_ms']:>5} {per_round['gc_ms']:>5} "
                  f"{per_round['server_cpu_us_per_delivery']:>8} {summary['missing']:>4} "
                  f"{summary['duplicates']:>3} {memory['kib_per_connection']:>8} "
                  f"{memory['server_rss_before_kib'] / 1024:>9.1f}/{memory['server_rss_idle_kib'] / 1024:<9.1f}")
    print("(ms; p50/p99/max over every delivery of those rounds, the rest medians per round)")


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=5000, help="connected users, one connection each (5000)")
    parser.add_argument("--rounds", type=int, default=20,
                        help="undisturbed rounds wanted, one event to all users each (20)")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between a round's end and the next (1)")
    parser.add_argument("--max-minutes", type=float, default=2.5,
                        help="per transport, no round replaces a disturbed one after this (2.5)")
    parser.add_argument("--transports", default="ws,ws-http,sse",
                        help="which, in order: ws (game port), ws-http (HTTP port), sse (ws,ws-http,sse)")
    parser.add_argument("--profile", type=Path, help="py-spy the server over 5 extra rounds; "
                                                     "-<transport> is added to the name")
    parser.add_argument("--out", type=Path, default=Path("bench/live_fanout.json"))
    return parser.parse_args()


def main() -> int:
    args = _parse_args()
    if shutil.which("taskset") is None and args.profile:
        print("bench/live_fanout.py: taskset not found (`apt-get install -y util-linux`)", file=sys.stderr)
        return 2
    if not {SERVER_CORE, LOAD_CORE} <= os.sched_getaffinity(0):
        print("bench/live_fanout.py: needs cores 0 and 1", file=sys.stderr)
        return 2
    os.sched_setaffinity(0, {LOAD_CORE})  # this script stays off the server's core
    started_at = datetime.datetime.now(datetime.UTC)

    def log(line: str) -> None:
        print(line, flush=True)

    report: dict = {
        "benchmark": "live_fanout", "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(), "revision": git_revision(BENCH.parent),
        "command": shlex.join([sys.executable, *sys.argv]),
        "server_core": SERVER_CORE, "client_core": LOAD_CORE,
        "users": args.users, "rounds": args.rounds, "gap_seconds": args.gap, "transports": {},
    }
    with tempfile.TemporaryDirectory(prefix="courtside-live-") as work:
        for transport in args.transports.split(","):
            try:
                report["transports"][transport] = run_transport(transport, args, Path(work), log)
            except (ServerFailed, TimeoutError) as error:
                print(f"bench/live_fanout.py: {transport}: {error}", file=sys.stderr)
                return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(report)
    print(f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
