"""``courtside serve`` and ``courtside migrate``."""

from __future__ import annotations

import argparse
import functools
import gc
import logging
import os
import signal
import sys
from collections.abc import Sequence

import trio

from .config import Config, ConfigError, load_config
from .node import Node, database_for, run_node
from .workers import serve_workers

log = logging.getLogger("courtside")

# A young collection holds the loop for the objects it walks: about half a
# microsecond each here. Python's defaults (700 allocations, then a middle
# collection every 10 young ones) and larger ones (10,000) let the middle generation
# fill with what a wave of players makes (guests, queue entries, sockets):
# collections of 17-24 ms. At 1,000 and every 5, the middle ones walked 8,000-16,000
# objects, 2.2-5.6 ms; at 700 and every 2, 5,000-6,000 objects, under 2 ms, for
# the same work in all (bench/RESULTS.md, matches with waves; issue 20).
GC_GEN0_THRESHOLD = 700
GC_MIDDLE_EVERY = 2
# Python's default is a full collection every 10 middle ones (once enough has been
# promoted). A full collection walks every live object: about 250 per open user
# connection, 1.1 s at 5,000 of them, a stall of every match and socket. Cyclic
# garbage is rare here (refcounting frees the rest), so full collections wait for
# about ten million allocations (bench/RESULTS.md, fan-out).
GC_FULL_EVERY = 10_000_000 // (GC_GEN0_THRESHOLD * GC_MIDDLE_EVERY)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="courtside", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="PostgreSQL URL (default: embedded server)")
    common.add_argument("--data-dir", help="where the embedded database and secrets live")
    common.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR or CRITICAL")
    serve = commands.add_parser("serve", parents=[common], help="run the server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", help="HTTP port (default 8000)")
    serve.add_argument("--game-port", help="game WebSocket port (default: the HTTP port + 1)")
    serve.add_argument("--public-host",
                       help="host named in this node's ws_urls (default: the bind host)")
    serve.add_argument("--secret-key",
                       help="key that signs tokens (default: the cluster's, kept in the database)")
    serve.add_argument(
        "--workers", help="run N worker nodes on the shared HTTP port (auto: one per core)"
    )
    commands.add_parser("migrate", parents=[common], help="apply database migrations")
    return parser


def command_and_config(argv: Sequence[str] | None = None) -> tuple[str, Config]:
    """The command line's command and the configuration its flags and the environment
    make; a configuration error ends the program with status 2, as a usage error."""
    args = _parser().parse_args(argv)
    flags = {name: value for name, value in vars(args).items() if name != "command"}
    try:
        return args.command, load_config(flags, os.environ)
    except ConfigError as error:
        print(f"courtside: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def main(argv: Sequence[str] | None = None) -> int:
    command, config = command_and_config(argv)
    configure_logging(config)
    if command == "migrate":
        trio.run(_migrate, config)
        return 0
    if config.workers is not None:
        return trio.run(serve_workers, config)
    trio.run(serve_node, config)
    return 0


def configure_logging(config: Config, *, tag: str = "") -> None:
    """One line per record; ``tag`` names the worker the line comes from."""
    logging.basicConfig(
        level=config.log_level_number,
        format=f"%(asctime)s %(levelname)s {tag}%(name)s: %(message)s",
    )


async def serve_node(
    config: Config,
    http_fd: int | None = None,
    *,
    task_status: trio.TaskStatus[Node] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run one node until SIGINT or SIGTERM, then shut it down in order;
    ``task_status.started(node)`` once it serves."""
    # Opened first, so a signal during start-up is handled once the node is up
    # instead of interrupting it half-way (and orphaning the database server).
    with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async with trio.open_nursery() as nursery:
            node = await nursery.start(functools.partial(run_node, config, http_fd=http_fd))
            _tune_gc_for_ticks()
            task_status.started(node)
            async for signum in signals:
                log.info("received %s", signal.Signals(signum).name)
                node.shutdown()
                break


def _tune_gc_for_ticks() -> None:
    """What start-up allocated lives as long as the process: move it out of the
    collector's sight, keep young collections short, and full ones rare, so ticks
    are not stretched by collections walking long-lived objects (DESIGN.md §13)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, GC_MIDDLE_EVERY, GC_FULL_EVERY)


async def _migrate(config: Config) -> None:
    async with database_for(config):
        pass  # database_for applies every pending migration
