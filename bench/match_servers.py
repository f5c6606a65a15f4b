"""The servers bench/matches.py measures, and how each is handed new 1v1 matches.

Each runs pinned to core 0 (``taskset -c 0``) and hands back, for N new matches,
the 2N player connections as ``[ws_url, token]`` for bench/load_client.py:

- ``Courtside``: ``courtside serve`` with a throwaway data dir and every
  production duty on; its embedded PostgreSQL is its child and inherits the pin.
  Matches come the way players get them: guests (``POST /api/auth/guest/``) join
  the duel queue (``POST /api/play/duel/``), the matchmaker pairs them once a
  second, and ``GET /api/game/live/`` tells which code and ``ws_url`` each got
  (there is no user event channel yet to receive ``game-start``). With
  ``workers``, ``courtside serve --workers N``: N nodes under one parent, their
  matches placed on the least-loaded one; N > 1 runs on every core (the load
  client shares one), so its figures are read per busy server core.
  For bench/matches.py's ``--live-channels`` and ``--waves`` it also says where
  the user socket is (``live_channel``), queues a wave of guests nobody plays
  (``queue_wave``) and, after the window, counts those paired and takes the
  others out of the queue (``settle_wave``).
- ``FaultyCourtside``: the same node run by bench/fault_server.py, which kills
  some of its actors on a signal, for bench/soak.py's ``--kill-actors``.
- ``Bare``: bench/baseline_bare.py, whose match codes are pre-declared.
- ``Colyseus``: bench/colyseus/server.mjs under Node (``npm ci`` first when its
  node_modules is missing), one ``pong`` room per match. Seats come from its HTTP
  matchmaking, as the official client gets them: ``POST /matchmake/create/pong``
  for the first player, ``/matchmake/joinById/<roomId>`` for the second, each
  answered ``{"room": {"roomId", "processId", ...}, "sessionId"}``; a player
  connects to ``/<processId>/<roomId>?sessionId=...``. Its players speak Colyseus'
  wire (``wire``: the load client's ``add`` option).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from harness import EmbeddedPostgres, ServerFailed, is_worker, server_cores

SERVER_CORE = 0
COLYSEUS_DIR = Path(__file__).with_name("colyseus")
START_TIMEOUT = 180.0
STOP_TIMEOUT = 60.0
PAIRING_TIMEOUT = 60.0
SETUP_THREADS = 8
METRICS_ATTEMPTS = 10  # connections per worker to reach every node's /metrics

COURTSIDE_ENV = {
    "COURTSIDE_LOG_LEVEL": "WARNING",
    # Set-up creates thousands of guests from one address; each guest keeps its own
    # bucket, and queues once.
    "COURTSIDE_THROTTLE_EXEMPT_ADDRESSES": "127.0.0.1",
    # Matches wait for their players while the ramp connects them.
    "COURTSIDE_READY_TIMEOUT_SECONDS": "600",
    "COURTSIDE_SEAT_TIMEOUT_SECONDS": "600",
}


def free_loopback_port(pair: bool = False) -> int:
    """A free port (with ``pair``, one whose successor is free too: the game port)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if not pair or port == 65535:
            return port
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise ServerFailed("no free pair of loopback ports")


class _Pinned:
    """A server process on core 0 whose log goes to a file."""

    name = "?"
    wire = "courtside"  # how bench/load_client.py speaks to it
    command: list[str]
    env: dict[str, str] = {}

    def __init__(self, work_dir: Path) -> None:
        self.log_path = work_dir / f"{self.name}.log"
        self._popen: subprocess.Popen[bytes] | None = None
        self.process: psutil.Process | None = None
        self.opened = 0

    def _spawn(self) -> None:
        with open(self.log_path, "wb") as log:
            self._popen = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
            )
        self.process = psutil.Process(self._popen.pid)  # taskset execs the server

    def _start_until(self, ready: Callable[[], bool], *, every: float, waiting_for: str) -> None:
        """Start it and ask ``ready()`` every ``every`` s until it says yes; ServerFailed
        if the server exits first, or after START_TIMEOUT (``waiting_for`` says for what)."""
        self._spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive():
                raise ServerFailed(f"{self.name} exited during start-up:\n{self.log_tail()}")
            if ready():
                return
            time.sleep(every)
        raise ServerFailed(f"{self.name}: no {waiting_for} within {START_TIMEOUT:.0f} s")

    def _wait_listening(self) -> None:
        """Start it and wait for the ``"listening"`` line it logs once it accepts players."""
        self._start_until(lambda: '"listening"' in self.log_path.read_text(errors="replace"),
                          every=0.1, waiting_for='"listening" in its log')

    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def processes(self) -> list[psutil.Process]:
        """The server's own processes (with workers: the parent and each worker)."""
        return [self.process] if self.process else []

    def helpers(self) -> list[psutil.Process]:
        """Processes beside the server that serve it (PostgreSQL for Courtside)."""
        return []

    def rss_bytes(self) -> int:
        return sum(_rss(process) for process in self.processes())

    def stop(self) -> int:
        if self._popen is None:
            return 0
        if self._popen.poll() is None:
            self._popen.send_signal(signal.SIGTERM)
            try:
                self._popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
        return self._popen.returncode

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def metrics(self) -> list[str]:
        """Each node's /metrics text (none for a server without them)."""
        return []

    def cleanup(self) -> None:
        pass


class Bare(_Pinned):
    name = "bare"

    def __init__(self, work_dir: Path, python: str, max_matches: int) -> None:
        super().__init__(work_dir)
        self.port = free_loopback_port()
        script = Path(__file__).with_name("baseline_bare.py")
        self.command = ["taskset", "-c", str(SERVER_CORE), python, str(script),
                        "--port", str(self.port), "--matches", str(max_matches)]
        self.max_matches = max_matches

    def start(self) -> None:
        self._wait_listening()

    def open_matches(self, count: int) -> list[list]:
        if self.opened + count > self.max_matches:
            raise ServerFailed(f"bare server declares only {self.max_matches} matches")
        conns = []
        for index in range(self.opened, self.opened + count):
            url = f"ws://127.0.0.1:{self.port}/ws/game/bare{index:05d}/"
            conns += [[url, None], [url, None]]
        self.opened += count
        return conns


class Colyseus(_Pinned):
    name = "colyseus"
    wire = "colyseus"
    env = {"NODE_ENV": "production"}  # Colyseus' own dev-mode extras off

    def __init__(self, work_dir: Path) -> None:
        super().__init__(work_dir)
        self.port = free_loopback_port()
        self.command = ["taskset", "-c", str(SERVER_CORE), "node", str(COLYSEUS_DIR / "server.mjs"),
                        "--port", str(self.port)]

    def start(self) -> None:
        if not (COLYSEUS_DIR / "node_modules").is_dir():
            installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=COLYSEUS_DIR,
                                       capture_output=True, text=True)
            if installed.returncode != 0:
                raise ServerFailed(f"npm ci in {COLYSEUS_DIR} failed:\n{installed.stderr[-2000:]}")
        self._wait_listening()

    def open_matches(self, count: int) -> list[list]:
        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            matches = list(pool.map(lambda _: self._match(), range(count)))
        self.opened += count
        return [conn for match in matches for conn in match]

    def _match(self) -> list[list]:
        """One new room's two seats, as ``[ws_url, None]``."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            first = self._reserve(connection, "create/pong")
            second = self._reserve(connection, f"joinById/{first['room']['roomId']}")
        finally:
            connection.close()
        return [[self._ws_url(seat), None] for seat in (first, second)]

    @staticmethod
    def _reserve(connection: http.client.HTTPConnection, route: str) -> dict:
        connection.request("POST", f"/matchmake/{route}", body=b"{}",
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        body = json.loads(response.read())
        if response.status != 200 or "error" in body:
            raise ServerFailed(f"POST /matchmake/{route} answered {response.status}: {body}")
        return body

    def _ws_url(self, seat: dict) -> str:
        room = seat["room"]
        return f"ws://127.0.0.1:{self.port}/{room['processId']}/{room['roomId']}?sessionId={seat['sessionId']}"


@dataclass
class Wave:
    """What became of one wave of guests queueing for duels."""

    guests: int
    tokens: list[str] = field(default_factory=list)  # every guest created
    queued: list[str] = field(default_factory=list)  # those the queue took (201)
    guest_refused: Counter = field(default_factory=Counter)  # POST /api/auth/guest/ by status
    queue_refused: Counter = field(default_factory=Counter)  # POST /api/play/duel/ by status
    create_seconds: float = 0.0
    queue_seconds: float = 0.0


class Courtside(_Pinned):
    name = "courtside"
    env = COURTSIDE_ENV

    def __init__(self, work_dir: Path, courtside: str, workers: int | None = None,
                 connections_per_ip: int | None = None) -> None:
        """``connections_per_ip``: COURTSIDE_MAX_CONNECTIONS_PER_IP (the server's default
        budget, 512, is left as it is without it)."""
        if workers is not None:
            self.name = f"courtside-w{workers}"
        if connections_per_ip is not None:
            self.env = {**COURTSIDE_ENV, "COURTSIDE_MAX_CONNECTIONS_PER_IP": str(connections_per_ip)}
        super().__init__(work_dir)
        self.workers = workers
        self.data_dir = Path(tempfile.mkdtemp(prefix="courtside-bench-data-"))
        # As root the embedded PostgreSQL runs as another account that must traverse it.
        self.data_dir.chmod(0o755)
        self.port = free_loopback_port(pair=True)
        # Each worker serves games on the base game port plus its index.
        self.game_port = free_loopback_port(pair=True) if workers else None
        self.command = ["taskset", "-c", server_cores(workers, SERVER_CORE), *self._serve(courtside),
                        "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if workers is not None:
            self.command += ["--workers", str(workers), "--game-port", str(self.game_port)]
        self._local = threading.local()
        self._postgres = EmbeddedPostgres()

    def _serve(self, courtside: str) -> list[str]:
        """The command that runs the node, before its flags."""
        return [courtside, "serve"]

    def start(self) -> None:
        self._start_until(self._every_node_ready, every=0.25, waiting_for="/readyz listing every node")

    def _every_node_ready(self) -> bool:
        # With workers: once every node is in the cluster, so matches spread from the first.
        try:
            status, body = self._request("GET", "/readyz")
        except OSError:
            self._local.__dict__.clear()
            return False
        return status == 200 and len(body.get("nodes", ())) >= (self.workers or 1)

    def processes(self) -> list[psutil.Process]:
        return [self.process, *(child for child in self._children() if is_worker(child))]

    def helpers(self) -> list[psutil.Process]:
        return [child for child in self._postgres.under(self.process) if not is_worker(child)]

    def _children(self) -> list[psutil.Process]:
        try:
            return self.process.children(recursive=True) if self.process else []
        except psutil.NoSuchProcess:
            return []

    def metrics(self) -> list[str]:
        """Every node's /metrics: workers share the HTTP port, so new connections
        are opened until each node (told apart by its node id) has answered. A node's
        first answer is kept: reading ``courtside_loop_stall_seconds`` resets it, so a
        later answer from the same node would hold only the milliseconds since."""
        if not self.workers:
            status, body = self._request("GET", "/metrics", raw=True)
            return [body] if status == 200 else []
        by_node: dict[str, str] = {}
        for _ in range(METRICS_ATTEMPTS * self.workers):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                connection.request("GET", "/metrics", headers={"Connection": "close"})
                response = connection.getresponse()
                body = response.read().decode()
            finally:
                connection.close()
            node = re.search(r"^courtside_cluster_node_id (\S+)$", body, re.MULTILINE)
            if response.status == 200 and node:
                by_node.setdefault(node.group(1), body)
            if len(by_node) == self.workers:
                break
        return list(by_node.values())

    def open_matches(self, count: int,
                     before_queueing: Callable[[list[list]], None] | None = None) -> list[list]:
        """2*count new guests queue for duels; returns their connections once paired.
        ``before_queueing`` gets the guests as ``[user_id, token]`` once they exist and
        before any queues (to open their live channels, as a browser tab would)."""
        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            tokens = list(pool.map(lambda _: self._guest(), range(2 * count)))
            by_user = {_user_id(token): token for token in tokens}
            if before_queueing is not None:
                before_queueing([[user_id, token] for user_id, token in by_user.items()])
            for status, body in pool.map(self._enqueue, tokens):
                if status != 201:
                    raise ServerFailed(f"POST /api/play/duel/ answered {status}: {body}")
        urls: dict[int, str] = {}
        deadline = time.monotonic() + PAIRING_TIMEOUT
        while len(urls) < len(by_user):
            if time.monotonic() > deadline:
                raise ServerFailed(f"only {len(urls)} of {len(by_user)} guests were paired")
            time.sleep(1.0)
            for match in self._live_matches(tokens[0]):
                for user_id in match["players"]:
                    if user_id in by_user:
                        urls[user_id] = match["ws_url"]
        self.opened += count
        # Both players of a match side by side, so a match starts as soon as it can.
        return sorted([urls[user_id], token] for user_id, token in by_user.items())

    def live_channel(self) -> tuple[str, int, bool]:
        """Where a player opens its user socket: ``(ws_url, port, advertised)``.
        ``GET /api/live/`` says (``/ws/`` on the game port); an older server without
        that route (404) serves ``/ws/`` on its HTTP port. A guest asks: the route is
        for signed-in clients."""
        status, body = self._request("GET", "/api/live/", token=self._guest())
        if status == 404:
            return f"ws://127.0.0.1:{self.port}/ws/", self.port, False
        if status != 200:
            raise ServerFailed(f"GET /api/live/ answered {status}: {body}")
        url = urlsplit(body["ws_url"])
        if url.path != "/ws/" or url.port is None:
            raise ServerFailed(f"GET /api/live/ gives {body['ws_url']}: not a /ws/ with a port")
        return body["ws_url"], url.port, True

    def queue_wave(self, count: int) -> Wave:
        """``count`` fresh guests (1000 trophies each, as every new guest) queue for
        duels at once, as ``open_matches`` queues its own; refusals are counted, not
        fatal, and nobody waits for the pairing."""
        wave = Wave(count)
        began = time.monotonic()
        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            for status, body in pool.map(lambda _: self._request("POST", "/api/auth/guest/"), range(count)):
                if status == 201:
                    wave.tokens.append(body["access"])
                else:
                    wave.guest_refused[status] += 1
            created = time.monotonic()
            for token, (status, _) in zip(wave.tokens, pool.map(self._enqueue, wave.tokens)):
                if status == 201:
                    wave.queued.append(token)
                else:
                    wave.queue_refused[status] += 1
        wave.create_seconds = round(created - began, 2)
        wave.queue_seconds = round(time.monotonic() - created, 2)
        return wave

    def settle_wave(self, wave: Wave) -> tuple[int, int]:
        """After a window: how many of the wave's guests are in a match now
        (``GET /api/game/live/``, each page asked with the next guest's token, as one
        guest's bucket would run dry), and how many of the others were still waiting
        when told to leave the queue (204). Every guest not seen paired is told, those
        whose join failed too (a 503 may still have queued them), so that none is left
        to be paired with a later step's players."""
        wanted = {_user_id(token) for token in wave.queued}
        paired = {user_id for match in (self._live_matches(*wave.queued) if wave.queued else ())
                  for user_id in match["players"] if user_id in wanted}
        rest = [token for token in wave.tokens if _user_id(token) not in paired]
        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            answers = list(pool.map(lambda token: self._request("DELETE", "/api/play/duel/", token=token),
                                    rest))
        for status, body in answers:
            if status not in (204, 404):
                raise ServerFailed(f"DELETE /api/play/duel/ answered {status}: {body}")
        return len(paired), sum(status == 204 for status, _ in answers)

    def _guest(self) -> str:
        status, body = self._request("POST", "/api/auth/guest/")
        if status != 201:
            raise ServerFailed(f"POST /api/auth/guest/ answered {status}: {body}")
        return body["access"]

    def _enqueue(self, token: str) -> tuple[int, dict]:
        return self._request("POST", "/api/play/duel/", token=token)

    def _live_matches(self, *tokens: str) -> list[dict]:
        """Every page of ``GET /api/game/live/``, asked with these tokens in turn."""
        matches, offset = [], 0
        while True:
            token = tokens[offset // 100 % len(tokens)]
            status, body = self._request("GET", f"/api/game/live/?limit=100&offset={offset}", token=token)
            if status != 200:
                raise ServerFailed(f"GET /api/game/live/ answered {status}: {body}")
            matches += body["results"]
            offset += 100
            if not body.get("next"):
                return matches

    def _request(self, method: str, path: str, *, token: str | None = None, raw: bool = False):
        """One request on this thread's kept-alive connection (reopened once if it dropped)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30)
            try:
                connection.request(method, path, headers=headers)
                response = connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        if raw:
            return response.status, data.decode()
        return response.status, json.loads(data) if data.startswith(b"{") else {"body": data.decode()}

    def cleanup(self) -> None:
        self._postgres.terminate()
        shutil.rmtree(self.data_dir, ignore_errors=True)


class FaultyCourtside(Courtside):
    """The same node run by bench/fault_server.py, which kills some of its actors on
    SIGUSR1 (``kill_actors``) and writes what it killed to the log (``kills``): for
    bench/soak.py's ``--kill-actors``. One node, no workers."""

    name = "courtside-faults"

    def __init__(self, work_dir: Path, courtside: str, seed: int,
                 connections_per_ip: int | None = None) -> None:
        self.seed = seed
        super().__init__(work_dir, courtside, connections_per_ip=connections_per_ip)

    def _serve(self, courtside: str) -> list[str]:
        return [sys.executable, str(Path(__file__).with_name("fault_server.py")),
                "--seed", str(self.seed), "serve"]

    def kill_actors(self) -> None:
        self._popen.send_signal(signal.SIGUSR1)  # taskset exec'd the wrapper: this is its pid

    def kills(self, timeout: float) -> dict | None:
        """The wrapper's line on what it killed, once written (None after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if line.startswith('{"killed"'):
                    return json.loads(line)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


def _user_id(access_token: str) -> int:
    """The ``sub`` claim: the payload is read, not verified (the server verifies it)."""
    payload = access_token.split(".")[1]
    return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
