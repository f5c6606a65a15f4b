"""A real Courtside node for bench/chat.py, with the chats it measures already made.

The node is ``run_node`` as ``courtside serve`` runs it (the same start-up GC
tuning, the embedded PostgreSQL in a throwaway data dir, the HTTP throttle
raised so that the bench measures chat, not the throttle), in this process, which
bench/chat.py starts under ``taskset``: PostgreSQL is its child and inherits the
pin, so server and database share one core.

Bench-only shortcuts, outside the code under test: users are inserted with one
SQL statement and the chats made through the repository, instead of thousands of
registrations (argon2 on purpose costs a core for a sixth of a second each); access
tokens are minted with the node's own TokenSigner. Everything measured after that
goes through the user sockets as a client's would.

One bench-only instrument: ``gc.callbacks`` time every collection, and at exit
the collections (wall-clock start, generation, seconds) are written to
``--gc-log`` as JSON, so the client can tell which pauses fell in which step.

Once ready it writes one JSON line on stdout:
  {"port", "game_port", "pid", "group": {"chat_id", "users": [[user_id, token], ...]},
   "dialogues": [{"chat_id", "users": [[user_id, token], [user_id, token]]}, ...]}
and serves until its stdin closes, then shuts down as on SIGTERM.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

import trio

from courtside.persistence import Chats
from courtside.server.cli import _tune_gc_for_ticks  # what `courtside serve` does once up
from courtside.server.config import Config
from courtside.server.node import Node, run_node

SECRET_KEY = "bench-chat-secret-key-long-enough-for-hs256"
CREATE_USERS = (
    "INSERT INTO users (username, nickname)"
    " SELECT 'chat' || n, 'Chat ' || n FROM generate_series(1, %s) AS n"
    " RETURNING id"
)


class Collections:
    """Every garbage collection: when it began (time.time()), its generation, its length."""

    def __init__(self) -> None:
        self.records: list[tuple[float, int, float]] = []
        self._began = (0.0, 0.0)
        gc.callbacks.append(self._collection)

    def _collection(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._began = (time.time(), time.perf_counter())
        else:
            self.records.append((self._began[0], info["generation"],
                                 time.perf_counter() - self._began[1]))


async def make_chats(node: Node, members: int, dialogues: int) -> dict:
    rows = await node.database.fetch(CREATE_USERS, members + 2 * dialogues, write=True)
    user_ids = [row[0] for row in rows]
    tokens = node.services.tokens
    ticket = lambda user_id: [user_id, tokens.access(user_id, 0)]  # noqa: E731
    group_ids, pair_ids = user_ids[:members], user_ids[members:]
    async with node.database.transaction() as tx:
        chats = Chats(tx)
        group_id = await chats.create_group("bench", group_ids[0], group_ids[1:])
        pairs = []
        for n in range(dialogues):
            one, other = pair_ids[2 * n], pair_ids[2 * n + 1]
            pairs.append({"chat_id": await chats.create_dialogue(one, other),
                          "users": [ticket(one), ticket(other)]})
    return {"group": {"chat_id": group_id, "users": [ticket(u) for u in group_ids]},
            "dialogues": pairs}


async def serve(members: int, dialogues: int, data_dir: Path) -> None:
    config = Config(
        host="127.0.0.1", port=0, secret_key=SECRET_KEY, data_dir=data_dir,
        log_level="WARNING", throttle_burst=1_000_000, throttle_per_second=1_000_000.0,
        # One client address holds every member's socket: lift the per-address budget (512).
        max_connections_per_ip=1_000_000,
    )
    async with trio.open_nursery() as nursery:
        node: Node = await nursery.start(run_node, config)
        setup = await make_chats(node, members, dialogues)
        _tune_gc_for_ticks()
        port = int(node.http_url.rsplit(":", 1)[1])
        sys.stdout.write(json.dumps({"port": port, "game_port": node.games.game_port.port,
                                     "pid": os.getpid(), **setup}) + "\n")
        sys.stdout.flush()
        control = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
        while await control.receive_some():
            pass
        node.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--dialogues", type=int, default=1000)
    parser.add_argument("--gc-log", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    collections = Collections()
    with tempfile.TemporaryDirectory(prefix="courtside-bench-chat-") as data_dir:
        Path(data_dir).chmod(0o755)  # the embedded server may run as another account
        trio.run(serve, args.members, args.dialogues, Path(data_dir))
    if args.gc_log is not None:
        args.gc_log.write_text(json.dumps(collections.records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
