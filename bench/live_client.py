"""A lean client for the user channel: thousands of `/ws/` or `/sse/users/` connections
in one process on one core.

Every connection is a raw non-blocking socket on one epoll, as in
bench/load_client.py (whose upgrade request and masked frames it borrows from
bench/client_frames.py): no task or coroutine per message, so the client's
core is not what the fan-out waits for. A WebSocket authenticates with the
``access`` cookie and counts as subscribed once its ``ping`` is answered (the
server answers only after the hub has taken the connection); an event stream
sends ``Authorization: Bearer`` and counts as subscribed at its first frame,
``retry: 2000``, which the server yields once subscribed.

For every ``bench`` event it records receive time minus the event's
``sent_at`` (both ``time.time()`` on this machine) and which connection got
which round, so missing and duplicated deliveries are counted exactly.

JSON lines on stdin, answered by JSON lines on stdout:
  {"op": "open", "transport": "ws"|"sse", "port": P, "users": [[user_id, token], ...]}
      -> {"ev": "opened", "subscribed", "failed", "errors", "seconds"}
  {"op": "expect", "round": r} -> {"ev": "expecting"}; then, once every subscribed
      connection has round r: {"ev": "round_done", "round", "all_after_seconds"}
  {"op": "expect", "round": r, "deliveries": n} -> the same for a stream: n events of
      round r, each to one connection, told apart by their ``seq``
  {"op": "round", "round": r} -> {"ev": "round", ...}: that round's figures so far
  {"op": "latencies"} -> {"ev": "latencies", "rounds": {r: [seconds, ...]}, "strays"}: every delivery
  {"op": "status"} -> {"ev": "status", "subscribed", "closed", "errors"}
  {"op": "quit"}
"""

from __future__ import annotations

import gc
import json
import os
import resource
import select
import socket
import sys
import time

import msgspec

from client_frames import masked_frame, upgrade_request

MAX_IN_FLIGHT = 64  # connections between connect() and subscribed at one time
SETUP_TIMEOUT = 60.0
PING = masked_frame(b'{"type":"ping"}')

CONNECTING, REQUESTED, SUBSCRIBING, SUBSCRIBED, CLOSED = range(5)
EPOLLIN, EPOLLOUT = select.EPOLLIN, select.EPOLLOUT


class BenchData(msgspec.Struct):
    """A bench event's payload; other events (none expected) decode with round -1."""

    sent_at: float = 0.0
    round: int = -1
    seq: int = -1  # in a stream round: the event's number within the round


class UserMessage(msgspec.Struct):
    type: str
    data: BenchData | None = None


decode_ws = msgspec.json.Decoder(UserMessage).decode
decode_sse_data = msgspec.json.Decoder(BenchData).decode


class Conn:
    __slots__ = ("index", "user_id", "token", "sock", "fd", "phase", "buf", "text",
                 "chunk_left", "chunked", "deadline", "error")

    def __init__(self, index: int, user_id: int, token: str) -> None:
        self.index = index
        self.user_id = user_id
        self.token = token
        self.sock: socket.socket | None = None
        self.fd = -1
        self.phase = CONNECTING
        self.buf = b""  # bytes not yet parsed (a partial frame, chunk-size line or header)
        self.text = b""  # SSE: de-chunked text not yet ending in a blank line
        self.chunk_left = 0  # SSE: bytes left in the current chunk, its CRLF included
        self.chunked = True
        self.deadline = 0.0
        self.error = ""


class Round:
    """Who got one round's event, and how late."""

    __slots__ = ("expected", "counts", "distinct", "duplicates", "latencies", "done",
                 "cpu_at_expect", "cpu_at_done")

    def __init__(self, slots: int, expected: int) -> None:
        """``slots``: the connections, or in a stream round the events (by ``seq``)."""
        self.expected = expected
        self.counts = bytearray(slots)
        self.distinct = 0
        self.duplicates = 0
        self.latencies: list[float] = []
        self.done = False
        self.cpu_at_expect = _cpu_seconds()
        self.cpu_at_done: float | None = None

    def summary(self, number: int) -> dict:
        ordered = sorted(self.latencies)
        spent = (self.cpu_at_done or _cpu_seconds()) - self.cpu_at_expect
        return {
            "round": number, "expected": self.expected, "received": self.distinct,
            "missing": self.expected - self.distinct, "duplicates": self.duplicates,
            "first_ms": _ms(ordered[0]) if ordered else None,
            "p50_ms": _ms(percentile(ordered, 0.50)), "p99_ms": _ms(percentile(ordered, 0.99)),
            "all_after_ms": _ms(ordered[-1]) if self.done else None,
            "client_cpu_ms": round(1000 * spent, 1),
        }


def percentile(ordered: list[float], q: float) -> float | None:
    """Nearest-rank percentile of a sorted list."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 2)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class LiveClient:
    def __init__(self) -> None:
        self.poller = select.epoll()
        self.conns: list[Conn] = []
        self.by_fd: dict[int, Conn] = {}
        self.queue: list[Conn] = []
        self.in_flight = 0
        self.transport = "ws"
        self.port = 0
        self.subscribed = 0
        self.failed = 0
        self.closed = 0  # subscribed connections that ended
        self.errors: list[str] = []
        self.opening_since = 0.0
        self.rounds: dict[int, Round] = {}
        self.strays = 0  # events of a round not announced, or not ours
        self.running = True

    # -- opening ----------------------------------------------------------------------

    def open(self, transport: str, port: int, users: list[list]) -> None:
        self.transport, self.port = transport, port
        self.opening_since = time.monotonic()
        first = len(self.conns)
        for offset, (user_id, token) in enumerate(users):
            conn = Conn(first + offset, user_id, token)
            self.conns.append(conn)
            self.queue.append(conn)
        self.queue.reverse()  # popped from the end
        if not users:
            self._opened()

    def _start_queued(self, now: float) -> None:
        while self.queue and self.in_flight < MAX_IN_FLIGHT:
            conn = self.queue.pop()
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sock, conn.fd, conn.deadline = sock, sock.fileno(), now + SETUP_TIMEOUT
            self.by_fd[conn.fd] = conn
            self.in_flight += 1
            try:
                sock.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            except OSError as error:
                self._fail(conn, f"connect: {error}")
                continue
            self.poller.register(conn.fd, EPOLLOUT)

    def _request(self, conn: Conn) -> bytes:
        if self.transport == "ws":
            upgrade = upgrade_request("127.0.0.1", self.port, "/ws/")
            return upgrade[:-2] + f"Cookie: access={conn.token}\r\n\r\n".encode()
        return (f"GET /sse/users/ HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                f"Authorization: Bearer {conn.token}\r\nAccept: text/event-stream\r\n\r\n").encode()

    def _setup_step(self, conn: Conn, now: float) -> None:
        sock = conn.sock
        if conn.phase == CONNECTING:
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                return self._fail(conn, f"connect: {os.strerror(error)}")
            sock.send(self._request(conn))
            conn.phase = REQUESTED
            self.poller.modify(conn.fd, EPOLLIN)
            return
        data = self._recv(conn)
        if data is None:
            return
        if conn.phase == REQUESTED:
            data = conn.buf + data
            end = data.find(b"\r\n\r\n")
            if end < 0:
                conn.buf = data
                return
            head, data = data[:end].lower(), data[end + 4:]
            conn.buf = b""
            wanted = b"http/1.1 101" if self.transport == "ws" else b"http/1.1 200"
            if not head.startswith(wanted):
                return self._fail(conn, f"refused: {head[:60]!r}")
            conn.chunked = b"transfer-encoding: chunked" in head
            conn.phase = SUBSCRIBING
            if self.transport == "ws":
                sock.send(PING)
        self._receive(conn, data, now)

    def _subscribed(self, conn: Conn) -> None:
        conn.phase = SUBSCRIBED
        self.subscribed += 1
        self.in_flight -= 1
        self._check_opened()

    def _check_opened(self) -> None:
        if not self.queue and not self.in_flight:
            self._opened()

    def _opened(self) -> None:
        emit({"ev": "opened", "subscribed": self.subscribed, "failed": self.failed,
              "errors": self.errors[:5], "seconds": round(time.monotonic() - self.opening_since, 2)})

    def _fail(self, conn: Conn, error: str) -> None:
        if conn.phase == CLOSED:
            return
        was = conn.phase
        conn.phase = CLOSED
        conn.error = error
        if len(self.errors) < 20:
            self.errors.append(error)
        self.by_fd.pop(conn.fd, None)
        try:
            self.poller.unregister(conn.fd)
        except (OSError, ValueError):
            pass
        conn.sock.close()
        if was == SUBSCRIBED:
            self.closed += 1
        else:
            self.failed += 1
            self.in_flight -= 1
            self._check_opened()

    def _recv(self, conn: Conn) -> bytes | None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return None
        except OSError as error:
            self._fail(conn, f"recv: {error}")
            return None
        if not data:
            self._fail(conn, "closed by server")
            return None
        return data

    # -- what arrives -------------------------------------------------------------------

    def _receive(self, conn: Conn, data: bytes, now: float) -> None:
        if self.transport == "ws":
            self._ws_frames(conn, data, now)
        else:
            self._sse_bytes(conn, data, now)

    def _ws_frames(self, conn: Conn, data: bytes, now: float) -> None:
        """The server's unmasked frames (bench/load_client.py's parser)."""
        if conn.buf:
            data = conn.buf + data
            conn.buf = b""
        size, pos = len(data), 0
        while size - pos >= 2:
            first, length = data[pos], data[pos + 1] & 0x7F
            if length < 126:
                start = pos + 2
            elif length == 126:
                if size - pos < 4:
                    break
                length, start = (data[pos + 2] << 8) | data[pos + 3], pos + 4
            else:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(data[pos + 2:pos + 10]), pos + 10
            end = start + length
            if end > size:
                break
            opcode, pos = first & 0x0F, end
            if opcode == 1:
                message = decode_ws(data[start:end])
                if message.data is not None:
                    self._delivered(conn, message.data, now)
                elif message.type == "pong" and conn.phase == SUBSCRIBING:
                    self._subscribed(conn)
                elif message.type == "error":
                    self.errors.append(data[start:end].decode()[:200])
            elif opcode == 8:
                code = int.from_bytes(data[start:start + 2]) if length >= 2 else None
                return self._fail(conn, f"closed {code} {data[start + 2:end]!r}")
            elif opcode == 9:
                conn.sock.send(masked_frame(data[start:end], opcode=0xA))
        if pos < size:
            conn.buf = data[pos:]

    def _sse_bytes(self, conn: Conn, data: bytes, now: float) -> None:
        """De-chunk the response body, then split it into SSE frames."""
        if conn.chunked:
            data, body = conn.buf + data, []
            size, pos = len(data), 0
            while pos < size:
                if conn.chunk_left > 2:  # chunk data
                    take = min(conn.chunk_left - 2, size - pos)
                    body.append(data[pos:pos + take])
                    pos += take
                    conn.chunk_left -= take
                elif conn.chunk_left:  # the CRLF after a chunk's data
                    take = min(conn.chunk_left, size - pos)
                    pos += take
                    conn.chunk_left -= take
                else:
                    line_end = data.find(b"\r\n", pos)
                    if line_end < 0:
                        break
                    chunk_size = int(data[pos:line_end].split(b";", 1)[0], 16)
                    pos = line_end + 2
                    if chunk_size == 0:
                        return self._fail(conn, "event stream ended")
                    conn.chunk_left = chunk_size + 2
            conn.buf = data[pos:]
            data = b"".join(body)
        text = conn.text + data if conn.text else data
        *frames, conn.text = text.split(b"\n\n")
        for frame in frames:
            if frame.startswith(b"id:"):
                data_at = frame.find(b"\ndata: ")
                self._delivered(conn, decode_sse_data(frame[data_at + 7:]), now)
            elif frame.startswith(b"retry:") and conn.phase == SUBSCRIBING:
                self._subscribed(conn)

    def _delivered(self, conn: Conn, payload: BenchData, now: float) -> None:
        current = self.rounds.get(payload.round)
        if current is None or payload.seq >= len(current.counts):
            self.strays += 1
            return
        index = conn.index if payload.seq < 0 else payload.seq
        seen = current.counts[index]
        if seen:
            current.duplicates += 1
        else:
            current.distinct += 1
        current.counts[index] = min(seen + 1, 255)
        latency = now - payload.sent_at
        current.latencies.append(latency)
        if current.distinct == current.expected and not current.done:
            current.done = True
            current.cpu_at_done = _cpu_seconds()
            emit({"ev": "round_done", "round": payload.round, "all_after_seconds": latency})

    # -- the loop -------------------------------------------------------------------------

    def run(self) -> None:
        control = sys.stdin.fileno()
        os.set_blocking(control, False)
        self.poller.register(control, EPOLLIN)
        pending = b""
        by_fd = self.by_fd
        next_sweep = 0.0
        while self.running:
            events = self.poller.poll(0.05 if (self.queue or self.in_flight) else 0.5)
            now = time.time()
            for fd, mask in events:
                conn = by_fd.get(fd)
                if conn is None:
                    if fd == control:
                        pending = self._control(pending)
                    continue
                if conn.phase == SUBSCRIBED:
                    data = self._recv(conn)
                    if data is not None:
                        # Per connection, not per poll: a batch of a thousand takes milliseconds.
                        self._receive(conn, data, time.time())
                else:
                    self._setup_step(conn, now)
            if self.queue and self.in_flight < MAX_IN_FLIGHT:
                self._start_queued(time.monotonic())
            if self.in_flight and time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + 1.0
                for conn in [c for c in by_fd.values()
                             if c.phase < SUBSCRIBED and time.monotonic() > c.deadline]:
                    self._fail(conn, f"set-up timed out in phase {conn.phase}")

    def _control(self, pending: bytes) -> bytes:
        chunk = os.read(sys.stdin.fileno(), 1 << 24)
        if not chunk:
            self.running = False
            return b""
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            if line.strip():
                self._command(json.loads(line))
        return pending

    def _command(self, command: dict) -> None:
        match command["op"]:
            case "open":
                self.open(command["transport"], command["port"], command["users"])
            case "expect" if "deliveries" in command:
                self.rounds[command["round"]] = Round(command["deliveries"], command["deliveries"])
                emit({"ev": "expecting", "round": command["round"]})
            case "expect":
                self.rounds[command["round"]] = Round(len(self.conns), self.subscribed - self.closed)
                emit({"ev": "expecting", "round": command["round"]})
            case "round":
                emit({"ev": "round", **self.rounds[command["round"]].summary(command["round"])})
            case "latencies":
                emit({"ev": "latencies", "strays": self.strays,
                      "rounds": {number: r.latencies for number, r in self.rounds.items()}})
            case "status":
                emit({"ev": "status", "subscribed": self.subscribed, "closed": self.closed,
                      "failed": self.failed, "errors": self.errors[:5]})
            case "quit":
                self.running = False


def raise_open_files_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit: thousands of sockets need it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def emit(event: dict) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--core", type=int, help="pin this process to one core")
    args = parser.parse_args()
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})
    raise_open_files_limit()
    # Nothing here lives in cycles: the collector would only add pauses to the latencies.
    gc.disable()
    LiveClient().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
