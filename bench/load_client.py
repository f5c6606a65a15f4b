"""A lean load client for the game socket: many 1v1 players in one process on one core.

Every player is a raw non-blocking socket on one epoll: a minimal RFC 6455
upgrade, masked client frames built once per paddle position and cached, a
minimal parser for the server's unmasked frames, and msgspec to read the two
fields a player needs (``tick``, ``ball_position_y``). No task or coroutine
per message: a trio-websocket client costs about 3x per message and would
saturate before the server does.

Each player answers every ``game_state_update`` with a paddle update that puts
its paddle's middle on the ball (``position = ball_position_y - 50``), so the
ball is always returned and a match never ends. Per connection it records the
inter-arrival gap of state updates into a 0.1 ms histogram, skipped ticks, and
goals (there should be none).

``--miss P`` (bench/soak.py; default 0, never): each time the ball starts towards
a player (a return by the other side, or a serve its way), the player lets this
point through with probability P: its paddle keeps 62 px clear of the ball, above
or below it, until the ball is past (the side is read from ``welcome``, the ball's
course from ``ball_direction_x``). Matches then reach ``score_to_win`` and end;
``ends`` tells which players' matches ended, and which connections were lost.

``"wire": "colyseus"`` in an ``add`` (bench/colyseus/server.mjs): its players speak
Colyseus' protocol instead. No authenticate: the seat is in the URL; the server's
JOIN_ROOM frame is acknowledged (READY, as ``welcome`` is for Courtside); each
ROOM_DATA "state" message's MessagePack payload (game_state_update's state keys)
goes through the same path as a Courtside state, and is answered with a "paddle"
message carrying the same paddle top.

Driven by JSON lines on stdin, answered by JSON lines on stdout:
  {"op": "add", "conns": [[ws_url, token or null], ...], "wire": "courtside" (default) or "colyseus"}
      -> {"ev": "added", ok, failed, errors}
  {"op": "status"} -> {"ev": "status", "playing", "open", "closed", "failed", "ended"}
  {"op": "mark"}   -> {"ev": "marked", "playing"}: a measuring window starts
  {"op": "report"} -> {"ev": "report", ...}: the window's figures
  {"op": "ends"}   -> {"ev": "ends", "ended": [[token, reason, goals], ...],
                       "lost": [[token, error], ...]}: players whose match ended
                       (``game_ended``) or whose connection failed, since the last ask
  {"op": "quit"}
Run by bench/matches.py and bench/soak.py; works against courtside and bench/baseline_bare.py
alike (and, with ``"wire": "colyseus"``, bench/colyseus/server.mjs).
"""

from __future__ import annotations

import gc
import json
import os
import random
import select
import socket
import sys
import time
from urllib.parse import urlsplit

import msgspec

from client_frames import (
    COLYSEUS_ERROR,
    COLYSEUS_JOIN_ROOM,
    COLYSEUS_JOINED,
    COLYSEUS_STATE,
    StateFields,
    colyseus_paddle_frame,
    decode_message,
    masked_frame,
    paddle_frame,
    upgrade_request,
)
from gap_window import Window

MAX_IN_FLIGHT = 64  # connections between connect() and welcome at one time
SETUP_TIMEOUT = 30.0

CONNECTING, UPGRADING, WELCOMING, READY, PLAYING, CLOSED = range(6)
EPOLLIN, EPOLLOUT = select.EPOLLIN, select.EPOLLOUT

# --miss: the court (courtside/actors/physics.py) and where a missing paddle goes.
PADDLE_TOP_MAX = 500.0  # field 600 high, paddle 100
FIELD_MIDDLE = 300.0
CLEAR_BELOW = 70.0  # paddle top this far below the ball's centre (radius 8: 62 px clear)
CLEAR_ABOVE = 170.0  # paddle top this far above it (its bottom 70 above the centre)
SWITCH_BELOW_AT, SWITCH_ABOVE_AT = 420.0, 180.0  # past these the paddle would hit the wall


class MissState(msgspec.Struct):
    """What a player that may miss reads of a state (client_frames' fields plus the course)."""

    tick: int
    ball_position_y: float
    ball_direction_x: float = 0.0
    initiator_score: int = 0
    invited_score: int = 0


class MissMessage(msgspec.Struct):
    type: str
    state: MissState | None = None
    side: str | None = None  # welcome: "a" defends the left end, "b" the right
    reason: str | None = None
    code: str | None = None
    detail: str | None = None


decode_miss_message = msgspec.json.Decoder(MissMessage).decode


class Conn:
    __slots__ = ("sock", "fd", "phase", "buf", "out", "host", "port", "path", "token",
                 "deadline", "last", "last_tick", "goals", "window", "measured", "error",
                 "batch", "toward", "coming", "missing", "colyseus", "paddle")

    def __init__(self, url: str, token: str | None, batch: Batch, colyseus: bool = False) -> None:
        parts = urlsplit(url)
        # A Colyseus seat is in the query (``?sessionId=``); Courtside's URLs have none.
        self.host, self.port = parts.hostname, parts.port
        self.path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        self.colyseus = colyseus
        self.paddle = colyseus_paddle_frame if colyseus else paddle_frame
        self.token = token or "bench"
        self.batch = batch
        self.sock: socket.socket | None = None
        self.fd = -1
        self.phase = CONNECTING
        self.buf = b""
        self.out = b""
        self.deadline = 0.0
        self.last = 0.0
        self.last_tick = -1
        self.goals = 0
        self.window = 0  # state updates received in the current window
        self.measured = False  # was playing when the window started
        self.error = ""
        self.toward = 0  # --miss: the sign of ball_direction_x when the ball comes my way
        self.coming = False
        self.missing = 0  # --miss: letting this point through, paddle below (1) or above (-1)


class Batch:
    """The connections of one ``add``; answered once none is still setting up."""

    def __init__(self, size: int) -> None:
        self.pending = size
        self.ok = 0
        self.failed = 0
        self.errors: list[str] = []


class LoadClient:
    def __init__(self, rate: float, miss: float = 0.0) -> None:
        self.rate = rate
        self.miss = miss
        self.decode = decode_miss_message if miss else decode_message
        self.decode_colyseus = msgspec.msgpack.Decoder(MissState if miss else StateFields).decode
        self.ends: list[list] = []  # [token, reason, goals] per game_ended, until ``ends``
        self.lost: list[list] = []  # [token, error] per failed connection, until ``ends``
        self.poller = select.epoll()
        self.conns: dict[int, Conn] = {}
        self.queue: list[Conn] = []  # waiting to connect
        self.in_flight = 0
        self.ended = 0
        self.failed = 0
        self.running = True
        self.window = Window()

    # -- measuring window ---------------------------------------------------------

    def mark(self) -> dict:
        playing = 0
        for conn in self.conns.values():
            conn.window = 0
            conn.measured = conn.phase == PLAYING
            playing += conn.measured
        self.window = Window(playing)
        return {"ev": "marked", "playing": playing}

    def report(self) -> dict:
        per_player = [c.window for c in self.conns.values() if c.measured]
        return {"ev": "report", **self.window.summary(self.rate, per_player)}

    def status(self) -> dict:
        phases = [c.phase for c in self.conns.values()]
        return {"ev": "status", "playing": phases.count(PLAYING), "open": len(phases),
                "waiting": len(self.queue), "failed": self.failed, "ended": self.ended}

    # -- connection set-up ----------------------------------------------------------

    def add(self, conns: list[list], wire: str = "courtside") -> None:
        batch = Batch(len(conns))
        colyseus = wire == "colyseus"
        self.queue.extend(Conn(url, token, batch, colyseus) for url, token in conns)
        if not conns:
            emit({"ev": "added", "ok": 0, "failed": 0, "errors": []})

    def _start_queued(self, now: float) -> None:
        while self.queue and self.in_flight < MAX_IN_FLIGHT:
            conn = self.queue.pop(0)
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sock, conn.fd, conn.deadline = sock, sock.fileno(), now + SETUP_TIMEOUT
            self.conns[conn.fd] = conn
            self.in_flight += 1
            try:
                sock.connect((conn.host, conn.port))
            except BlockingIOError:
                pass
            except OSError as error:
                self._fail(conn, f"connect: {error}")
                continue
            self.poller.register(conn.fd, EPOLLOUT)

    def _setup_step(self, conn: Conn, events: int, now: float) -> None:
        """Everything before the first state update: the slow path."""
        sock = conn.sock
        if conn.phase == CONNECTING:
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                return self._fail(conn, f"connect: {os.strerror(error)}")
            sock.send(upgrade_request(conn.host, conn.port, conn.path))
            conn.phase = UPGRADING
            self.poller.modify(conn.fd, EPOLLIN)
            return
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as error:
            return self._fail(conn, f"recv: {error}")
        if not data:
            return self._fail(conn, f"closed by server while {('upgrading', 'authenticating')[conn.phase == WELCOMING]}")
        if conn.phase == UPGRADING:
            data = conn.buf + data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                conn.buf = data
                return
            if not data.startswith(b"HTTP/1.1 101"):
                return self._fail(conn, f"upgrade refused: {data[:40]!r}")
            conn.buf = b""
            data = data[end + 4:]
            conn.phase = WELCOMING
            if not conn.colyseus:  # a Colyseus room sends JOIN_ROOM unasked
                auth = json.dumps({"type": "authenticate", "token": conn.token}).encode()
                sock.send(masked_frame(auth))
        self._frames(conn, data, now)

    def _setup_done(self, conn: Conn, ok: bool) -> None:
        self.in_flight -= 1
        batch = conn.batch
        batch.pending -= 1
        if ok:
            batch.ok += 1
        else:
            batch.failed += 1
            if len(batch.errors) < 5:
                batch.errors.append(conn.error)
        if batch.pending == 0:
            emit({"ev": "added", "ok": batch.ok, "failed": batch.failed, "errors": batch.errors})

    def _fail(self, conn: Conn, error: str) -> None:
        conn.error = error
        self.lost.append([conn.token, error])
        was_setting_up = conn.phase < READY
        self._close(conn)
        self.failed += 1
        if was_setting_up:
            self._setup_done(conn, ok=False)

    def _close(self, conn: Conn) -> None:
        if conn.phase == CLOSED:
            return
        if conn.phase == PLAYING and conn.measured:
            self.window.closed += 1
        conn.phase = CLOSED
        self.conns.pop(conn.fd, None)
        try:
            self.poller.unregister(conn.fd)
        except (OSError, ValueError):
            pass
        conn.sock.close()

    # -- frames -------------------------------------------------------------------------

    def _frames(self, conn: Conn, data: bytes, now: float) -> None:
        """Parse the server's unmasked frames in ``data``; answer state updates."""
        if conn.buf:
            data = conn.buf + data
            conn.buf = b""
        size = len(data)
        pos = 0
        decode = self.decode
        while size - pos >= 2:
            first = data[pos]
            length = data[pos + 1] & 0x7F
            if length < 126:
                start = pos + 2
            elif length == 126:
                if size - pos < 4:
                    break
                length = (data[pos + 2] << 8) | data[pos + 3]
                start = pos + 4
            else:
                if size - pos < 10:
                    break
                length = int.from_bytes(data[pos + 2:pos + 10])
                start = pos + 10
            end = start + length
            if end > size:
                break
            opcode = first & 0x0F
            pos = end
            if opcode == 1:
                message = decode(data[start:end])
                state = message.state
                if state is not None:
                    self._state(conn, state, now)
                elif not self._control_message(conn, message):
                    return
            elif opcode == 2:
                if data.startswith(COLYSEUS_STATE, start, end):
                    self._state(conn, self.decode_colyseus(data[start + len(COLYSEUS_STATE):end]), now)
                elif not self._colyseus_control(conn, data[start:end]):
                    return
            elif opcode == 8:
                code = int.from_bytes(data[start:start + 2]) if length >= 2 else None
                self._fail(conn, f"closed {code} {data[start + 2:end]!r}")
                return
            elif opcode == 9:
                self._send(conn, masked_frame(data[start:end], opcode=0xA))  # pong
        if pos < size:
            conn.buf = data[pos:]

    def _state(self, conn: Conn, state, now: float) -> None:
        if conn.phase == PLAYING:
            gap = now - conn.last
            if conn.measured:
                window = self.window
                window.received += 1
                conn.window += 1
                window.add_gap(gap)
                if state.tick != conn.last_tick + 1:
                    window.skipped += state.tick - conn.last_tick - 1
        else:
            conn.phase = PLAYING
        conn.last = now
        conn.last_tick = state.tick
        goals = state.initiator_score + state.invited_score
        if goals != conn.goals:
            if conn.measured:
                self.window.goals += goals - conn.goals
            conn.goals = goals
        if self.miss:
            self._send(conn, self._maybe_missing(conn, state))
        else:
            self._send(conn, conn.paddle(state.ball_position_y))

    def _maybe_missing(self, conn: Conn, state: MissState) -> bytes:
        """--miss: follow the ball, or, for a point the player lets through, keep clear of it."""
        ball_y = state.ball_position_y
        coming = state.ball_direction_x * conn.toward > 0
        if coming != conn.coming:
            conn.coming = coming
            conn.missing = 0
            if coming and random.random() < self.miss:
                conn.missing = 1 if ball_y < FIELD_MIDDLE else -1
        if not conn.missing:
            return conn.paddle(ball_y)
        if conn.missing > 0 and ball_y > SWITCH_BELOW_AT:
            conn.missing = -1
        elif conn.missing < 0 and ball_y < SWITCH_ABOVE_AT:
            conn.missing = 1
        top = ball_y + CLEAR_BELOW if conn.missing > 0 else ball_y - CLEAR_ABOVE
        return conn.paddle(min(PADDLE_TOP_MAX, max(0.0, top)) + 50.0)  # the frame takes the middle

    def _control_message(self, conn: Conn, message) -> bool:
        """Non-state messages; False when the connection is gone."""
        kind = message.type
        if kind == "welcome" and conn.phase == WELCOMING:
            if self.miss:
                conn.toward = {"a": -1, "b": 1}.get(message.side, 0)
            conn.phase = READY
            self._send(conn, masked_frame(b'{"type":"report_ready"}'))
            self._setup_done(conn, ok=True)
        elif kind == "game_ended":
            self.ended += 1
            self.ends.append([conn.token, message.reason, conn.goals])
            self._close(conn)
            return False
        elif kind == "error":
            print(f"load_client: server error {message.code}: {message.detail}", file=sys.stderr)
        return True

    def _colyseus_control(self, conn: Conn, payload: bytes) -> bool:
        """A Colyseus frame other than a state; False when the connection is gone."""
        kind = payload[0] if payload else None
        if kind == COLYSEUS_JOIN_ROOM and conn.phase == WELCOMING:
            conn.phase = READY
            self._send(conn, COLYSEUS_JOINED)
            self._setup_done(conn, ok=True)
        elif kind == COLYSEUS_ERROR:
            self._fail(conn, f"colyseus error {payload[1:]!r}")
            return False
        return True

    def _send(self, conn: Conn, frame: bytes) -> None:
        if conn.out:
            conn.out += frame
            return
        try:
            sent = conn.sock.send(frame)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            self._fail(conn, f"send: {error}")
            return
        if sent < len(frame):
            conn.out = frame[sent:]
            self.poller.modify(conn.fd, EPOLLIN | EPOLLOUT)

    def _flush(self, conn: Conn) -> None:
        try:
            sent = conn.sock.send(conn.out)
        except BlockingIOError:
            return
        except OSError as error:
            self._fail(conn, f"send: {error}")
            return
        conn.out = conn.out[sent:]
        if not conn.out:
            self.poller.modify(conn.fd, EPOLLIN)

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> None:
        control = sys.stdin.fileno()
        os.set_blocking(control, False)
        self.poller.register(control, EPOLLIN)
        pending = b""
        conns = self.conns
        next_sweep = 0.0
        while self.running:
            events = self.poller.poll(0.05 if (self.queue or self.in_flight) else 0.5)
            now = time.monotonic()
            for fd, mask in events:
                conn = conns.get(fd)
                if conn is None:
                    if fd == control:
                        pending = self._control(pending)
                    continue
                if mask & EPOLLOUT and conn.out:
                    self._flush(conn)
                if conn.phase >= READY:
                    if not mask & (EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                        continue
                    try:
                        data = conn.sock.recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError as error:
                        self._fail(conn, f"recv: {error}")
                        continue
                    if not data:
                        self._fail(conn, "closed by server")
                        continue
                    self._frames(conn, data, now)
                else:
                    self._setup_step(conn, mask, now)
            if self.queue and self.in_flight < MAX_IN_FLIGHT:
                self._start_queued(now)
            if self.in_flight and now >= next_sweep:
                next_sweep = now + 1.0
                for conn in [c for c in conns.values() if c.phase < READY and now > c.deadline]:
                    self._fail(conn, f"set-up timed out in phase {conn.phase}")

    def _control(self, pending: bytes) -> bytes:
        chunk = os.read(sys.stdin.fileno(), 1 << 20)
        if not chunk:
            self.running = False
            return b""
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if not line.strip():
                continue
            command = json.loads(line)
            op = command["op"]
            if op == "add":
                self.add(command["conns"], command.get("wire", "courtside"))
            elif op == "status":
                emit(self.status())
            elif op == "mark":
                emit(self.mark())
            elif op == "report":
                emit(self.report())
            elif op == "ends":
                emit({"ev": "ends", "ended": self.ends, "lost": self.lost})
                self.ends, self.lost = [], []
            elif op == "quit":
                self.running = False
        return pending


def emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=60.0, help="state updates per second per player")
    parser.add_argument("--core", type=int, help="pin this process to one core")
    parser.add_argument("--miss", type=float, default=0.0, metavar="P",
                        help="let a point through with this probability each time the ball "
                             "comes (0: always return it, and matches never end)")
    args = parser.parse_args()
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})
    # Nothing here lives in cycles: the collector would only add pauses to the gaps.
    gc.disable()
    LoadClient(args.rate, args.miss).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
