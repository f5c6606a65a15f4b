"""A real Courtside node for bench/live_fanout.py and bench/bus.py, with a control channel.

The node is ``run_node`` as ``courtside serve`` runs it (the same start-up GC
tuning; the embedded PostgreSQL in a throwaway data dir), in this process,
pinned to one core; PostgreSQL is its child and inherits the pin. Running the
node in-process is what lets the bench publish one event to every user in one
``Bus.publish`` call, as an actor or handler would.

Bench-only shortcuts, outside the code under test: users are inserted with one
SQL statement and their access tokens minted with the node's own TokenSigner,
instead of thousands of registrations. Bench-only instruments (``Meters``): the
hub's ``_deliver`` is wrapped in a timer that also tells when a round's event
has been handed to every connection, and ``gc.callbacks`` time every
collection, so a round's time can be split into the hub's loop over the users,
garbage collection, and the rest (the transports and Trio).

JSON lines on stdin, answered by JSON lines on stdout:
  (at start)                     -> {"ev": "ready", "port", "game_port", "pid"}
  {"op": "users", "count": N}    -> {"ev": "users", "users": [[user_id, access_token], ...]}
  {"op": "publish", "round": r}  -> {"ev": "published", "round", "sent_at", "busy_seconds",
                                     "busy_cpu_seconds"}
      one ``bus.publish(every user, "bench", {"sent_at": time.time(), "round": r})``;
      busy_seconds: from the publish (the event log's round trip to PostgreSQL
      included) until the hub had handed the event to every connection and no
      task of the node was runnable any more (every frame handed to the
      kernel); busy_cpu_seconds: this process's CPU meanwhile; hub_seconds
      (from the hub taking the event to its last connection, the loop's other
      work between its slices included); gc_seconds and gc_collections, each
      [gen0, gen1, gen2]: from Meters
  {"op": "stream", "round": r, "rate": R, "seconds": S}
                                 -> {"ev": "streamed", "round", "published", "seconds"}
      R x S events at R a second, each ``bus.publish_to_user`` to the next of
      the users in turn, with {"sent_at", "round": r, "seq": its number in the round}
  {"op": "open_sockets"}         -> {"ev": "open_sockets", "count"}: WebSockets and event streams
  {"op": "quit"}                 -> the node shuts down as on SIGTERM
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import logging
import os
import sys
import time
from pathlib import Path

import trio
import trio.testing

from courtside.actors import NotificationHub
from courtside.server.cli import _tune_gc_for_ticks  # what `courtside serve` does once up
from courtside.server.config import Config
from courtside.server.node import Node, run_node
from live_client import emit, raise_open_files_limit

EVENT = "bench"
STREAM_PERIOD = 0.002  # a stream publishes what is due this often
DELIVER_TIMEOUT = 30.0
CREATE_USERS = (
    "INSERT INTO users (username, nickname, is_guest)"
    " SELECT 'bench' || n, 'bench' || n, true FROM generate_series(1, %s) AS n"
    " RETURNING id"
)


class Meters:
    """Time in the hub's loop over a bench event's users, and in collections."""

    def __init__(self) -> None:
        self.hub_seconds = 0.0
        self.delivered = trio.Event()  # the hub has handed this round's event to everyone
        self.gc_seconds = [0.0, 0.0, 0.0]  # by generation
        self.gc_collections = [0, 0, 0]
        self._gc_began = 0.0
        gc.callbacks.append(self._collection)
        deliver = NotificationHub._deliver

        def delivered(args: tuple, began: float) -> None:
            # (batch,) since the hub takes queued deliveries together; (user_ids, event) before.
            events = [deliver.event for deliver in args[0]] if len(args) == 1 else [args[1]]
            if any(event.name == EVENT for event in events):
                self.hub_seconds += time.perf_counter() - began
                self.delivered.set()

        async def timed_deliver(hub, *args):
            began = time.perf_counter()
            try:
                return await deliver(hub, *args)
            finally:
                delivered(args, began)

        def timed_sync_deliver(hub, *args):
            began = time.perf_counter()
            try:
                return deliver(hub, *args)
            finally:
                delivered(args, began)

        # The revisions before issue 20's slicing deliver in one synchronous call: the
        # same bench measures those, for the before/after figures.
        asynchronous = inspect.iscoroutinefunction(deliver)
        NotificationHub._deliver = timed_deliver if asynchronous else timed_sync_deliver

    def _collection(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.gc_seconds[info["generation"]] += time.perf_counter() - self._gc_began
            self.gc_collections[info["generation"]] += 1

    def reset(self) -> None:
        self.hub_seconds = 0.0
        self.delivered = trio.Event()
        self.gc_seconds = [0.0, 0.0, 0.0]
        self.gc_collections = [0, 0, 0]

    def read(self) -> dict:
        return {"hub_seconds": self.hub_seconds, "gc_seconds": list(self.gc_seconds),
                "gc_collections": list(self.gc_collections)}


class Harness:
    def __init__(self, node: Node, meters: Meters) -> None:
        self._node = node
        self._meters = meters
        self._user_ids: list[int] = []

    async def serve(self) -> None:
        emit({"ev": "ready", "port": int(self._node.http_url.rsplit(":", 1)[1]),
              "game_port": self._node.games.game_port.port, "pid": os.getpid()})
        control = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
        pending = b""
        while True:
            chunk = await control.receive_some()
            if not chunk:
                break
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line.strip() and not await self._command(json.loads(line)):
                    return

    async def _command(self, command: dict) -> bool:
        """Answer one command; False once told to quit."""
        match command["op"]:
            case "users":
                emit({"ev": "users", "users": await self._create_users(command["count"])})
            case "publish":
                emit({"ev": "published", **await self._publish(command["round"])})
            case "stream":
                emit({"ev": "streamed", **await self._stream(command["round"], command["rate"],
                                                             command["seconds"])})
            case "open_sockets":
                emit({"ev": "open_sockets", "count": len(self._node.services.sockets)})
            case "quit":
                return False
        return True

    async def _create_users(self, count: int) -> list[list]:
        rows = await self._node.database.fetch(CREATE_USERS, count, write=True)
        self._user_ids = [row[0] for row in rows]
        tokens = self._node.services.tokens
        return [[user_id, tokens.access(user_id, 0)] for user_id in self._user_ids]

    async def _publish(self, round_no: int) -> dict:
        self._meters.reset()
        cpu_before = time.process_time()
        sent_at = time.time()
        began = trio.current_time()
        self._node.services.bus.publish(self._user_ids, EVENT, {"sent_at": sent_at, "round": round_no})
        with trio.move_on_after(DELIVER_TIMEOUT):
            await self._meters.delivered.wait()
        await trio.testing.wait_all_tasks_blocked()
        return {"round": round_no, "sent_at": sent_at, "busy_seconds": trio.current_time() - began,
                "busy_cpu_seconds": time.process_time() - cpu_before, **self._meters.read()}

    async def _stream(self, round_no: int, rate: float, seconds: float) -> dict:
        bus, users = self._node.services.bus, self._user_ids
        began = trio.current_time()
        published, total = 0, int(seconds * rate)
        while published < total:
            # As many as are due by now: the pace holds even when a sleep runs long.
            due = min(total, int((trio.current_time() - began) * rate) + 1)
            for seq in range(published, due):
                bus.publish_to_user(users[seq % len(users)], EVENT,
                                    {"sent_at": time.time(), "round": round_no, "seq": seq})
            published = due
            await trio.sleep(STREAM_PERIOD)
        return {"round": round_no, "published": published, "seconds": trio.current_time() - began}


async def main_async(config: Config) -> None:
    meters = Meters()
    async with trio.open_nursery() as nursery:
        node = await nursery.start(run_node, config)
        _tune_gc_for_ticks()
        try:
            await Harness(node, meters).serve()
        finally:
            node.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--core", type=int, help="pin this process (and PostgreSQL) to one core")
    parser.add_argument("--database-url", help="a cluster's PostgreSQL (default: embedded in --data-dir)")
    args = parser.parse_args()
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})
    raise_open_files_limit()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # One client address holds every connection: lift the per-address budget (512).
    config = Config(port=0, data_dir=args.data_dir, database_url=args.database_url,
                    log_level="WARNING", shutdown_grace_seconds=3.0, max_connections_per_ip=1_000_000)
    trio.run(main_async, config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
