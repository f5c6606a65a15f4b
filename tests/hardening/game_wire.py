"""A raw, blocking game-port client that can say anything, and a server in a thread.

Hypothesis drives plain (synchronous) tests, so the node runs in its own thread's
Trio loop and the fuzzing clients speak bytes over blocking sockets: nothing on
the client side may tidy up what it sends.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import msgspec
import trio
import trio_websocket

from courtside.server.config import Config
from courtside.server.node import Node, run_node
from tests.accounts import Account, make_user
from tests.games.conftest import GameClient, game_client, get_ready, queue_pair
from tests.protocol.test_frames import CLOSE, PING, PONG, TEXT, client_frame

T = TypeVar("T")
# What any answer may take at most, however loaded the machine: a bound against hangs.
ANSWER_WITHIN = 10.0


class ServerThread:
    """A node in its own thread's Trio loop; ``call`` runs a coroutine function there."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._failure: BaseException | None = None
        self.node: Node
        self._token: trio.lowlevel.TrioToken
        self._nursery: trio.Nursery
        self._stop: trio.Event

    def __enter__(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(60) or self._failure is not None:
            raise RuntimeError("the node did not start") from self._failure
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread.is_alive():
            trio.from_thread.run_sync(self._stop.set, trio_token=self._token)
        self._thread.join(60)
        if self._failure is not None:
            raise AssertionError("the node failed") from self._failure

    def _run(self) -> None:
        try:
            trio.run(self._main)
        except BaseException as failure:  # reported by __exit__, in the test's thread
            self._failure = failure
            self._ready.set()

    async def _main(self) -> None:
        self._stop = trio.Event()
        async with trio.open_nursery() as nursery:
            self.node = await nursery.start(run_node, self._config)
            self._token = trio.lowlevel.current_trio_token()
            self._nursery = nursery
            self._ready.set()
            await self._stop.wait()
            self.node.shutdown()

    def call(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        return trio.from_thread.run(fn, *args, trio_token=self._token)

    def start(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """``nursery.start(fn, *args)`` in the server's loop: a task that outlives the call."""
        return self.call(self._nursery.start, fn, *args)


@dataclasses.dataclass
class Stream:
    """What one player of the watched match received."""

    ticks: list[int] = dataclasses.field(default_factory=list)
    arrived: list[float] = dataclasses.field(default_factory=list)  # trio.current_time() of each
    others: list[dict] = dataclasses.field(default_factory=list)
    closed: int | None = None

    def longest_gap(self, since: float, until: float) -> float:
        """The longest wait for a state from ``since`` to ``until``: a stream that
        stopped counts its silence up to ``until``."""
        times = [since, *(t for t in self.arrived if since < t < until), until]
        return max(b - a for a, b in zip(times, times[1:]))


@dataclasses.dataclass
class WatchedMatch:
    code: str
    ws_url: str
    spectator: Account
    streams: tuple[Stream, Stream]
    stop: trio.Event


async def play_watched_match(node: Node, *, task_status: trio.TaskStatus[WatchedMatch]) -> None:
    """Two players keep their paddles on the ball, noting every state's tick, until told."""
    async with httpx.AsyncClient(base_url=node.http_url, timeout=30) as client:
        carol = await make_user(client, "carol")
        alice, bob, start, _ = await queue_pair(client, node)
        async with game_client(start["ws_url"], alice) as a, game_client(start["ws_url"], bob) as b:
            await get_ready(a, b)
            for game in (a, b):
                await game.until("game_state_update")
            watched = WatchedMatch(start["code"], start["ws_url"], carol, (Stream(), Stream()),
                                   trio.Event())
            async with trio.open_nursery() as nursery:
                for game, stream in zip((a, b), watched.streams):
                    nursery.start_soon(defend, game, stream)
                task_status.started(watched)
                await watched.stop.wait()
                nursery.cancel_scope.cancel()


async def defend(game: GameClient, stream: Stream) -> None:
    """Keep the paddle on the ball (so the match goes on) and note what comes."""
    try:
        while True:
            message = await game.receive()
            if message["type"] != "game_state_update":
                stream.others.append(message)
                continue
            stream.ticks.append(message["state"]["tick"])
            stream.arrived.append(trio.current_time())
            await game.send("paddle_position_update",
                            position=message["state"]["ball_position_y"] - 50)
    except trio_websocket.ConnectionClosed as closed:
        stream.closed = closed.reason.code


def assert_played_on(match: WatchedMatch, ticks_before: list[int]) -> None:
    """Both players kept their seats and got every tick's state since ``ticks_before``
    (their stream lengths then): no close, no disconnection, no skipped tick."""
    for stream, before in zip(match.streams, ticks_before):
        assert stream.closed is None, f"a player was closed with {stream.closed}"
        assert not [m for m in stream.others
                    if m["type"] in ("opponent_disconnected", "error")], stream.others
        ended = [m for m in stream.others if m["type"] == "game_ended"]
        assert all(m["reason"] == "score" for m in ended), ended
        ticks = stream.ticks
        assert len(ticks) > before
        steps = {b - a for a, b in zip(ticks, ticks[1:])}
        assert steps == {1}, f"the state stream skipped ticks: steps {sorted(steps)}"


# -- the raw client ------------------------------------------------------------------------


class Closed(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class RawGameSocket:
    """One blocking connection to the game port that sends whatever bytes it is given."""

    def __init__(self, ws_url: str, *, msgpack: bool = False, receive_buffer: int | None = None) -> None:
        host_port, _, path = ws_url.removeprefix("ws://").partition("/")
        host, _, port = host_port.partition(":")
        self.sock = socket.socket()
        if receive_buffer is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(ANSWER_WITHIN)
        self.sock.connect((host, int(port)))
        self.msgpack = msgpack
        self._buffer = b""
        self._path = "/" + path
        self._host = host_port
        self.errors: list[dict] = []  # error frames seen while waiting for something else

    def handshake_bytes(self) -> bytes:
        key = base64.b64encode(os.urandom(16)).decode()
        protocol = "Sec-WebSocket-Protocol: courtside.msgpack\r\n" if self.msgpack else ""
        return (f"GET {self._path} HTTP/1.1\r\nHost: {self._host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\n{protocol}\r\n").encode()

    def open(self, token: str) -> RawGameSocket:
        """Upgrade, authenticate and wait for the welcome."""
        self.sock.sendall(self.handshake_bytes())
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        self.send_message({"type": "authenticate", "token": token})
        self.until("welcome")
        return self

    def send_raw(self, data: bytes) -> None:
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed first; what it said is still to be read

    def send_message(self, message: dict) -> None:
        if self.msgpack:
            self.send_raw(client_frame(0x2, msgspec.msgpack.encode(message)))
        else:
            self.send_raw(client_frame(TEXT, msgspec.json.encode(message)))

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise Closed(1006)
        self._buffer += data

    def _take(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._fill()
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def frame(self) -> tuple[int, bytes]:
        """The next server frame: (opcode, payload). A close frame raises Closed."""
        first, second = self._take(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._take(2))
        elif length == 127:
            length = int.from_bytes(self._take(8))
        opcode, payload = first & 0x0F, self._take(length)
        if opcode == CLOSE:
            raise Closed(int.from_bytes(payload[:2]) if len(payload) >= 2 else 1005)
        return opcode, payload

    def message(self) -> dict:
        while True:
            opcode, payload = self.frame()
            if opcode in (PING, PONG):
                continue
            return msgspec.msgpack.decode(payload) if self.msgpack else msgspec.json.decode(payload)

    def until(self, type_: str) -> dict:
        while (message := self.message())["type"] != type_:
            if message["type"] == "error":
                self.errors.append(message)
        return message

    def close_code(self) -> int:
        """Read on, past any state, until the server closes; its close code."""
        deadline = time.monotonic() + ANSWER_WITHIN
        try:
            while time.monotonic() < deadline:
                self.frame()
        except Closed as closed:
            return closed.code
        except (ConnectionResetError, TimeoutError):
            return 1006
        raise AssertionError("the server did not close")

    def close(self) -> None:
        self.send_raw(client_frame(CLOSE, (1000).to_bytes(2)))
        self.sock.close()
