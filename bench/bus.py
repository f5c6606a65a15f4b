"""The bus between nodes: how late an event published on one node reaches a user
connected to another, at rest and as the rate climbs, and the rate PostgreSQL
carries before the p99 passes 50 ms.

One PostgreSQL (embedded, started here) and two Courtside nodes over it
(bench/live_server.py with ``--database-url``: ``run_node`` as ``courtside serve``
runs it), as two machines would hold them: the *publisher*, which creates the
users, with PostgreSQL on core 0, and the *listener* on core 1, to whose ``/ws/``
bench/live_client.py (core 1 too, a few % of it) opens one connection per user. Every event crosses the cluster as production events do: the
publisher's outbox writes it to ``user_events`` and NOTIFYs it in one
transaction, the listener's LISTEN connection hears it, its hub delivers it.

The ramp: per step, the publisher streams R events a second for --seconds, each
``publish_to_user`` to the next user in turn, stamped with ``time.time()``; the
client records receive time minus that stamp (one clock) and counts missing and
duplicated events by their number. The first step (10/s) is the bus at rest. A
step holds when no event is missing or duplicated and p99 <= 50 ms; the ramp
stops after its first failing step. Per step: delivered p50/p99/max, events
lost, and the CPU of each node, PostgreSQL and the client, and of processes not
ours (a disturbed step is marked, not repeated).

    .venv/bin/python bench/bus.py [--users 100] [--rates 10,100,250,...] [--seconds 5]
        [--out bench/bus.json]

Exit status: 0 when the ramp ran (figures are reported, not judged); 1 when a node
or PostgreSQL failed, or connections could not be opened; 2 when run outside the venv.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import sys
import tempfile
import time
from pathlib import Path

import psutil

from cpu_usage import Snapshot, usage
from harness import DISTURBED_PERCENT, ServerFailed, git_revision, machine
from json_child import Child
from live_client import percentile

PUBLISHER_CORE, LISTENER_CORE = 0, 1  # PostgreSQL beside the publisher, the client beside the listener
RATES = [10, 100, 250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000]
MAX_P99_MS = 50.0
START_TIMEOUT = 180.0
DRAIN_TIMEOUT = 10.0  # after a step's last event, for the stragglers
STOP_TIMEOUT = 60.0
BENCH = Path(__file__).resolve().parent


class Node(Child):
    """bench/live_server.py on one core, a node of the cluster on ``database_url``."""

    def __init__(self, name: str, core: int, work: Path, database_url: str) -> None:
        data_dir = work / name
        data_dir.mkdir()
        super().__init__(name, [sys.executable, str(BENCH / "live_server.py"), "--core", str(core),
                                "--data-dir", str(data_dir), "--database-url", database_url],
                         work / f"{name}.log")
        self.port = self.wait_for("ready", START_TIMEOUT)["port"]


def _postgres(server_pid: int) -> list[psutil.Process]:
    """The database's processes (the postmaster and its backends)."""
    try:
        postmaster = psutil.Process(server_pid)
        return [postmaster, *postmaster.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def step(rate: float, number: int, args, publisher: Node, listener: Node, client: Child,
         postgres_pid: int) -> dict:
    events = int(rate * args.seconds)

    def groups() -> dict[str, list[psutil.Process]]:
        return {"publisher": publisher.processes(), "listener": listener.processes(),
                "postgres": _postgres(postgres_pid), "client": client.processes(),
                "orchestrator": [psutil.Process()]}

    client.ask("expect", "expecting", round=number, deliveries=events)
    before = Snapshot.take(groups())
    streamed = publisher.ask("stream", "streamed", timeout=args.seconds + 60, round=number, rate=rate,
                             seconds=args.seconds)
    cpu = usage(before, Snapshot.take(groups()))
    drained_by = time.monotonic() + DRAIN_TIMEOUT
    try:
        while client.wait_for("round_done", drained_by - time.monotonic())["round"] != number:
            pass  # a straggling earlier step's
    except TimeoutError:
        pass  # the summary counts what is missing
    summary = client.ask("round", "round", round=number)
    latencies = sorted(client.ask("latencies", "latencies", timeout=60)["rounds"][str(number)])
    p99 = percentile(latencies, 0.99)
    clean = summary["missing"] == 0 and summary["duplicates"] == 0
    return {
        "rate_per_s": rate,
        "published": streamed["published"],
        "published_per_s": round(streamed["published"] / streamed["seconds"], 1),
        "received": summary["received"],
        "missing": summary["missing"],
        "duplicates": summary["duplicates"],
        "p50_ms": _ms(percentile(latencies, 0.50)),
        "p99_ms": _ms(p99),
        "max_ms": _ms(latencies[-1]) if latencies else None,
        "holds": clean and p99 is not None and 1000 * p99 <= MAX_P99_MS,
        "cpu_percent": {group: cpu.percent(group) for group in ("publisher", "listener", "postgres", "client")},
        "cores": cpu.cores,
        "foreign_cpu_percent": cpu.foreign_percent,
        "disturbed": cpu.foreign_percent > DISTURBED_PERCENT,
    }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 2)


def print_table(steps: list[dict]) -> None:
    header = (f"{'rate/s':>7} {'sent/s':>8} {'lost':>5} {'dup':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
              f"{'pub %':>6} {'lis %':>6} {'pg %':>6} {'cli %':>6} {'other %':>7} {'verdict':>7}")
    print()
    print(header)
    print("-" * len(header))
    for s in steps:
        cpu = s["cpu_percent"]
        print(f"{s['rate_per_s']:>7,.0f} {s['published_per_s']:>8,.0f} {s['missing']:>5} {s['duplicates']:>4} "
              f"{s['p50_ms'] or 0:>7.2f} {s['p99_ms'] or 0:>7.2f} {s['max_ms'] or 0:>7.1f} "
              f"{cpu['publisher']:>6.1f} {cpu['listener']:>6.1f} {cpu['postgres']:>6.1f} {cpu['client']:>6.1f} "
              f"{s['foreign_cpu_percent']:>6.1f}{'!' if s['disturbed'] else ' '} "
              f"{'holds' if s['holds'] else 'FAILS':>7}")
    print(f"an event: publish_to_user on one node -> /ws/ frame on the other; holds: nothing lost, "
          f"p99 <= {MAX_P99_MS:.0f} ms; CPU % of a core; ! = other processes used > {DISTURBED_PERCENT:.0f} %")


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100, help="connections on the listener (100)")
    parser.add_argument("--rates", type=lambda text: [float(n) for n in text.split(",")], default=RATES,
                        help="events per second, per step")
    parser.add_argument("--seconds", type=float, default=5.0, help="per step (5)")
    parser.add_argument("--out", type=Path, default=Path("bench/bus.json"))
    return parser.parse_args()


def main() -> int:
    args = _parse_args()
    if not Path(sys.executable).with_name("courtside").exists():
        print("bench/bus.py: run it with the venv's python (.venv/bin/python)", file=sys.stderr)
        return 2
    from courtside.persistence.embedded import EmbeddedPostgres as PostgresServer

    started_at = datetime.datetime.now(datetime.UTC)
    steps: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="courtside-bus-"))
    # As root the embedded PostgreSQL runs as another account that must traverse it.
    work.chmod(0o755)
    database = PostgresServer(work / "postgres", durable=False)
    nodes: list[Child] = []
    try:
        os.sched_setaffinity(0, {PUBLISHER_CORE})  # PostgreSQL inherits it
        database.start()
        os.sched_setaffinity(0, {LISTENER_CORE})
        postgres_pid = int((work / "postgres" / "postmaster.pid").read_text().split()[0])
        publisher = Node("publisher", PUBLISHER_CORE, work, database.url())
        nodes.append(publisher)
        listener = Node("listener", LISTENER_CORE, work, database.url())  # after the publisher's migrations
        nodes.append(listener)
        users = publisher.ask("users", "users", timeout=120, count=args.users)["users"]
        client = Child("client", [sys.executable, str(BENCH / "live_client.py"), "--core", str(LISTENER_CORE)],
                       work / "client.log")
        nodes.append(client)
        opened = client.ask("open", "opened", timeout=120, transport="ws", port=listener.port, users=users)
        if opened["failed"]:
            raise ServerFailed(f"{opened['failed']} connections failed: {opened['errors']}")
        print(f"{opened['subscribed']} users on the listener (port {listener.port}); "
              f"the publisher on port {publisher.port}", flush=True)
        for number, rate in enumerate(args.rates):
            steps.append(step(rate, number, args, publisher, listener, client, postgres_pid))
            s = steps[-1]
            print(f"{rate:>7,.0f}/s: p50 {s['p50_ms']} p99 {s['p99_ms']} max {s['max_ms']} ms, "
                  f"lost {s['missing']}, {'holds' if s['holds'] else 'FAILS'}", flush=True)
            if not s["holds"]:
                break
    except (ServerFailed, TimeoutError) as error:
        print(f"bench/bus.py: {error}", file=sys.stderr)
        return 1
    finally:
        for child in reversed(nodes):
            child.stop(STOP_TIMEOUT)
        database.stop()
        shutil.rmtree(work, ignore_errors=True)

    holding = [s for s in steps if s["holds"]]
    report = {
        "benchmark": "bus", "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(), "revision": git_revision(BENCH.parent),
        "command": shlex.join([sys.executable, *sys.argv]),
        "users": args.users, "seconds": args.seconds, "max_p99_ms": MAX_P99_MS,
        "at_rest": steps[0] if steps else None,
        "highest_holding_rate_per_s": holding[-1]["rate_per_s"] if holding else None,
        "first_failing_rate_per_s": next((s["rate_per_s"] for s in steps if not s["holds"]), None),
        "steps": steps,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print_table(steps)
    print(f"at rest ({args.rates[0]:.0f}/s): p50 {steps[0]['p50_ms']} ms, p99 {steps[0]['p99_ms']} ms; "
          f"highest rate with p99 <= {MAX_P99_MS:.0f} ms: {report['highest_holding_rate_per_s']}/s; "
          f"figures written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
