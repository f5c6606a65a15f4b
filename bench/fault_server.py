"""One Courtside node as ``courtside serve`` runs it, whose actors a bench may kill.

Issue 19, point 4: actor faults under load. The production server has no way
in to kill its actors, and gets none; this bench-only wrapper runs the node
exactly as ``courtside serve`` does (the same flags and ``COURTSIDE_*``
variables through ``load_config``, the same logging, then ``serve_node`` itself),
and on SIGUSR1 kills with ``Supervisor.kill``, as the hardening test does
(tests/hardening/test_actor_kills.py):

1. a tenth (at least one) of the running chat rooms, lobbies and tournaments,
   chosen with ``random.Random(--seed)``;
2. after KILL_PAUSE, the matchmakers (``queue:duel``, ``queue:ranked``);
3. after KILL_PAUSE again, the notification hub.

Then it writes one JSON line to stdout (bench/match_servers.py's log file), for
the bench to read what was killed and when:
  {"killed": [{"name", "kind", "at": unix time, "ok": kill's answer}, ...],
   "running": {kind: count when chosen}, "seed"}

    .venv/bin/python bench/fault_server.py [--seed 19] serve [courtside serve's flags]

One node only: ``--workers`` is refused (a worker's actors live in another process).
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time

import trio

from courtside.actors.chat_room import room_name
from courtside.actors.hub import HUB
from courtside.actors.lobbies import LOBBY
from courtside.actors.registry import kind_of
from courtside.actors.tournament import TOURNAMENT
from courtside.server.cli import command_and_config, configure_logging, serve_node
from courtside.server.config import Config
from courtside.server.node import Node

# The kinds of which a tenth is killed, by the prefix of their actors' names.
SOME_OF = tuple(kind_of(name) for name in (room_name(0), LOBBY, TOURNAMENT))
MATCHMAKERS = ("queue:duel", "queue:ranked")
KILL_PAUSE = 2.0  # s between the rounds: one round's restarts (0.1 s backoff) are done before the next


def choose(names: list[str], rng: random.Random) -> list[str]:
    """A tenth of ``names``, at least one (none of none)."""
    return sorted(rng.sample(names, max(1, len(names) // 10))) if names else []


async def kill_actors(node: Node, rng: random.Random, seed: int) -> None:
    supervisor, killed = node.services.supervisor, []

    def kill(names: list[str]) -> None:
        for name in names:
            killed.append({"name": name, "kind": kind_of(name), "at": round(time.time(), 3),
                           "ok": supervisor.kill(name)})

    names = node.services.registry.names()
    running = {kind: sorted(name for name in names if kind_of(name) == kind) for kind in SOME_OF}
    kill([name for kind in SOME_OF for name in choose(running[kind], rng)])
    await trio.sleep(KILL_PAUSE)
    kill(list(MATCHMAKERS))
    await trio.sleep(KILL_PAUSE)
    kill([HUB])
    print(json.dumps({"killed": killed, "running": {kind: len(names) for kind, names in running.items()},
                      "seed": seed}), flush=True)


async def serve(config: Config, seed: int) -> None:
    """``serve_node``, and each SIGUSR1 kills once more, until the node has stopped."""
    rng = random.Random(seed)
    with trio.open_signal_receiver(signal.SIGUSR1) as kills:
        async with trio.open_nursery() as nursery:
            node = await nursery.start(_serve_until_stopped, config, nursery.cancel_scope)
            async for _ in kills:
                nursery.start_soon(kill_actors, node, rng, seed)


async def _serve_until_stopped(config: Config, everything: trio.CancelScope, *,
                               task_status: trio.TaskStatus[Node]) -> None:
    await serve_node(config, task_status=task_status)
    everything.cancel()  # the node stopped on SIGINT or SIGTERM: so does the wrapper


def main() -> int:
    ours = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ours.add_argument("--seed", type=int, default=19, help="of the random choice of actors (19)")
    own, rest = ours.parse_known_args()
    command, config = command_and_config(rest)
    if command != "serve" or config.workers is not None:
        print("bench/fault_server.py: runs `serve` of one node (no workers)", file=sys.stderr)
        return 2
    configure_logging(config)
    trio.run(serve, config, own.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
