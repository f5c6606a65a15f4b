"""One worker of ``courtside serve --workers N``, started by the parent (workers.py).

``python -m courtside.server.worker INDEX HTTP_FD LINK_FD``: a whole node whose
settings come in ``COURTSIDE_*`` variables and whose HTTP socket is the parent's,
inherited as HTTP_FD. LINK_FD is a socket to the parent: the worker writes one line
on it once it serves; end of file on it means the parent is gone, and the worker
then stops as on SIGTERM.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence

import trio

from .cli import configure_logging, serve_node
from .config import Config, load_config

log = logging.getLogger(__name__)

SERVING = b"serving\n"


def main(argv: Sequence[str] | None = None) -> int:
    index, http_fd, link_fd = (int(arg) for arg in (sys.argv[1:] if argv is None else argv))
    config = load_config({}, os.environ)
    configure_logging(config, tag=f"worker {index} ")
    trio.run(_serve_worker, config, http_fd, link_fd)
    return 0


async def _serve_worker(config: Config, http_fd: int, link_fd: int) -> None:
    parent = trio.SocketStream(trio.socket.from_stdlib_socket(socket.socket(fileno=link_fd)))
    async with parent, trio.open_nursery() as nursery:
        nursery.start_soon(_stop_when_parent_exits, parent)
        async with trio.open_nursery() as node:
            await node.start(serve_node, config, http_fd)
            # A parent already gone is seen by the watch above.
            with contextlib.suppress(trio.BrokenResourceError):
                await parent.send_all(SERVING)
        nursery.cancel_scope.cancel()


async def _stop_when_parent_exits(parent: trio.SocketStream) -> None:
    while await parent.receive_some():
        pass
    log.warning("the parent is gone; stopping")
    # Through serve_node's signal receiver, so the node shuts down in order.
    os.kill(os.getpid(), signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
