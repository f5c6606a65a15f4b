"""Soak: half the measured match capacity for 30 minutes, with chat and REST beside it.

Issue 19: does a server that plays, chats and answers REST for half an hour hold
its memory, its descriptors and its latencies? One ``courtside serve``
(bench/match_servers.py's ``Courtside``: every production duty on, its embedded
PostgreSQL its child) runs pinned to core 0; everything else runs on core 1:

- **Matches.** ``--matches N`` concurrent 1v1 matches, held at that level the whole
  run. bench/load_client.py plays both sides of each with ``--miss P``: each time
  the ball comes its way a player lets the point through with probability P (0.1:
  a match to 5 lasts about 80 s), so matches reach ``score_to_win`` and end. When
  the server sends ``game_ended``, the two players queue again as real players do
  (``POST /api/play/duel/`` with their token, refreshed with ``POST
  /api/auth/refresh/`` when it is 10 minutes old: access tokens last 15), the
  matchmaker pairs them, ``GET /api/game/live/`` says where their new match is,
  and the load client gets the new connections. A lost connection re-queues its
  player too, and counts as an error. A player still waiting after 10 s asks to
  join again: a 201 means the queue had forgotten it (a restarted matchmaker).
- **Chat.** ``--chat-groups`` groups of ``--chat-members`` registered users (guests
  cannot chat), every member holding a ``/ws/`` user socket on the game port (as
  ``GET /api/live/`` advertises), one thread here on one selector: ``send_message``
  at ``--chat-rate`` messages/s, members in turn, each answered by ``message_sent``
  and delivered to the other members as ``receive-message`` (latency: from the
  frame handed to the kernel to the delivery read, on this process's clock). A
  socket the server closes is opened again with ``last_event_id``, and what it
  sent unanswered is sent again under the same ``client_id``.
- **REST.** ``--rest-rate`` requests/s from ``--rest-threads`` threads, a steady
  mix of ``GET /api/users/me/``, ``GET /api/game/live/?limit=20`` and ``GET
  /api/leaderboard/`` in turn, as ``--rest-users`` guests; each latency is from
  the request's send to its response read, on a kept-alive connection per thread.
  Request n goes to thread n mod threads, so the same connections stay open the
  whole run; requests that start over 100 ms after their due time (their thread
  still busy with an earlier one) are counted as ``late``.
- **Stall probes.** On a shared VM, core 0 itself stops now and then (other
  guests' or processes' work; seen here for 0.1 to 2 s at a time). A tiny child on
  each core wakes every 5 ms and notes every wake-up over 50 ms late, with its local
  time, as the server's log stamps its ``held the loop for`` warnings: a loop stall
  the core-0 probe shares is the machine's, one it does not is the server's own.
  The verdict names the periods in which core 0 stalled 100 ms or more.
- **Actor faults** (``--kill-actors MINUTE``, issue 19's point 4). The node runs
  under bench/fault_server.py (bench/match_servers.py's ``FaultyCourtside``: the
  same node, no kill endpoint in the server), with 10 lobbies (hosted by guests)
  and 10 tournaments (by registered users; guests may not host one) made before
  the run. At the minute, SIGUSR1: the wrapper kills a tenth (at least one) of
  the running chat rooms, lobbies and tournaments, chosen with ``--kill-seed``,
  then the matchmakers, then the notification hub, and logs what. The load goes
  on: chat sockets closed with 1011 reconnect with ``last_event_id``, players
  the restarted queue forgot join again. After the run, reported and judged, not
  fatal: each kill counted once in ``courtside_actor_restarts_total`` by kind;
  every acknowledged chat message in its group's stored history and received by
  every other member; every match end the load client saw recorded; and every
  player, and the owner or host of each killed lobby or tournament (who leaves
  the restarted tournament first), can join the duel queue.

Every ``--period`` seconds (300; the run lasts ``--minutes``, 30, after a warm-up
that opens the N matches) a table row: server RSS, PostgreSQL PSS, the server's open
file descriptors (psutil ``num_fds``; also net of the game port's sockets, read from
``courtside_game_sockets`` in the same breath, which is the figure that must not
grow), tick lateness p50/p99 over the period (``courtside_tick_lateness_seconds``
bucket deltas, interpolated as Prometheus' ``histogram_quantile``), the loop's
longest stall, REST p50/p99/max and errors, matches started and ended (and the
matches playing, mean and least, from samples), seconds from a match's end to its
players' next one, chat sent / acked / delivered and p99, errors, live actors, and
CPU of the server, PostgreSQL, the load client and everyone else, and the probes'
longest stall per core. A sample every 10 s feeds the plot (the four series against
time; red lines where core 0 stalled). The JSON keeps every row and sample, and the
server log's warnings (loop stalls name the task that held the loop).

Targets (issue 19), judged at the end:
- RSS growth after the first period under 5 %: the last period's end against the first's.
- No descriptor growth: the largest descriptor count net of game-port sockets in the
  last period is no larger than in the first.
- p99s flat: the last period's tick-lateness and REST p99 within 1.5x of the second
  period's (the first holds the warm-up), or within an absolute slack under which
  the figures are resolution, not trend: 1 ms for ticks (the histogram's buckets
  are 0.5, 1, 2, 4 ms ...), 5 ms for REST. Needs at least three periods.

    .venv/bin/python bench/soak.py [--minutes 30] [--period 300] [--matches 75] [--miss 0.1]
        [--chat-groups 3] [--chat-members 4] [--chat-rate 4] [--rest-rate 20]
        [--refresh-after 600] [--kill-actors MINUTE [--kill-seed 19]]
        [--out bench/soak.json] [--plot bench/soak.png]

Exit status: 0 when the soak ran (targets missed are reported, not fatal); 1 when the
server failed to start or died, or the load could not be set up; 2 when a tool is
missing or cores 0 and 1 are not both available.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import http.client
import json
import os
import re
import secrets
import selectors
import shlex
import signal
import socket
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from client_frames import masked_frame, take_server_frames, upgrade_request
from cpu_usage import Snapshot, usage
from harness import (
    ServerFailed,
    courtside_command,
    git_revision,
    histogram_buckets,
    histogram_quantile,
    machine,
    our_processes,
)
from json_child import Child
from match_servers import Courtside, FaultyCourtside

LOAD_CORE = 1
RATE = 60
# Half the latest measured capacity in bench/RESULTS.md: 150 matches on one core
# (2026-12-02, `matches.py --workers 1`, the VM's slower state that day). The faster
# day before (2026-12-01) held 250-375; half of those would overload the slower VM
# once chat and REST run beside the matches.
DEFAULT_MATCHES = 75
DEFAULT_MISS = 0.1
SAMPLE_SECONDS = 10.0
TOKEN_REFRESH_AFTER = 600.0  # seconds; access tokens last 15 minutes
SETUP_THREADS = 8
WARM_UP_TIMEOUT = 180.0  # for the first N matches to play
POLL_LIVE_EVERY = 1.0  # the matchmaker pairs once a second
MATCHMAKING_STEP = 0.25
RETRY_BUSY_AFTER = 1.0  # a 409 on queueing: still engaged in the match that just ended
RETRY_REFUSED_AFTER = 2.0
REJOIN_AFTER = 10.0  # a player waiting this long asks the queue again (see Matchmaking)
RECORDED_WITHIN = 15.0  # after the run, for the last match records to be written
KILLED_EACH = 10  # --kill-actors: lobbies and tournaments made for a tenth of them to be killed
KILLS_TOLD_WITHIN = 30.0  # for the server's line on what it killed
ENGAGED_TIMEOUT = 60.0  # after the run, for everyone to be able to queue
LATE_START = 0.1  # a REST request starting this long after its due time counts as late
CHAT_DRAIN_SECONDS = 2.0
RECONNECT_AFTER = 0.25  # a user socket the server closed is opened again this much later
CHAT_COUNTS = ("reconnects", "reconnect_failures", "resent", "unsent", "duplicates")
CLIENT_STOP_TIMEOUT = 10.0
REST_MIX = (("me", "/api/users/me/"), ("live", "/api/game/live/?limit=20"),
            ("leaderboard", "/api/leaderboard/"))
LATENESS_METRIC = "courtside_tick_lateness_seconds"
RSS_GROWTH_TARGET = 0.05
FLAT_RATIO = 1.5
FLAT_SLACK_MS = {"tick_lateness": 1.0, "rest": 5.0}
PING = masked_frame(b'{"type":"ping"}')


def log(line: str) -> None:
    print(line, flush=True)


def user_id_of(access_token: str) -> int:
    """The ``sub`` claim, read, not verified (the server verifies it)."""
    payload = access_token.split(".")[1]
    return int(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])


def percentile(ordered: list[float], q: float) -> float | None:
    """Nearest rank of a sorted list."""
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(1000 * seconds, 2)


# -- the server's figures -------------------------------------------------------------

def gauge(text: str, name: str) -> float | None:
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def by_label(text: str, name: str) -> dict[str, float]:
    return {label: float(value) for label, value in
            re.findall(rf'^{name}{{\w+="([^"]*)"}} (\S+)$', text, re.MULTILINE)}


def major_faults(process: psutil.Process) -> int | None:
    """Page faults that had to read from disk (/proc/PID/stat's majflt): a loop stall
    with few CPU seconds and many of these is the machine reclaiming the server's pages."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[9])  # field 12 of stat; the split starts at field 3


def postgres_memory(processes: list[psutil.Process]) -> tuple[float | None, float]:
    """PostgreSQL's PSS (shared buffers counted once; None where smaps is unreadable)
    and its RSS summed, in MiB."""
    pss, rss = 0, 0
    for process in processes:
        try:
            memory = process.memory_full_info()
        except psutil.AccessDenied:
            pss = None
            try:
                rss += process.memory_info().rss
            except psutil.Error:
                pass
            continue
        except psutil.Error:
            continue
        rss += memory.rss
        if pss is not None:
            pss += memory.pss
    return (None if pss is None else round(pss / 2**20, 1)), round(rss / 2**20, 1)


# -- REST -----------------------------------------------------------------------------

class Api:
    """Requests to the HTTP port, on a kept-alive connection per thread."""

    def __init__(self, port: int, refresh_after: float = TOKEN_REFRESH_AFTER) -> None:
        self.port = port
        self.refresh_after = refresh_after  # an access token's age at which fresh_token renews it
        self._local = threading.local()
        self.reconnects = 0
        self.refreshes = 0

    def request(self, method: str, path: str, *, token: str | None = None,
                body: dict | None = None) -> tuple[int, object, float]:
        """(status, decoded body, seconds from send to the response read). A kept-alive
        connection the server closed meanwhile is reopened once."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            connection = getattr(self._local, "connection", None)
            if connection is None:
                connection = self._local.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=30)
            began = time.perf_counter()
            try:
                connection.request(method, path, body=data, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                connection.close()
                self._local.connection = None
                self.reconnects += 1
                if attempt == 2:
                    raise
        seconds = time.perf_counter() - began
        decoded: object = raw.decode(errors="replace")
        if raw[:1] in (b"{", b"["):
            decoded = json.loads(raw)
        return response.status, decoded, seconds


@dataclass
class Account:
    user_id: int
    access: str
    refresh: str
    issued: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def new_guest(api: Api) -> Account:
    status, body, _ = api.request("POST", "/api/auth/guest/")
    if status != 201:
        raise ServerFailed(f"POST /api/auth/guest/ answered {status}: {body}")
    return Account(user_id_of(body["access"]), body["access"], body["refresh"])


def fresh_token(api: Api, account: Account) -> str:
    """The account's access token, exchanged for a new one once it is ``api.refresh_after``
    old. One thread at a time: a refresh token used twice revokes its whole family."""
    with account.lock:
        if time.monotonic() - account.issued > api.refresh_after:
            status, body, _ = api.request("POST", "/api/auth/refresh/", body={"refresh": account.refresh})
            if status != 200:
                raise ServerFailed(f"POST /api/auth/refresh/ answered {status}: {body}")
            account.access, account.refresh = body["access"], body["refresh"]
            account.issued = time.monotonic()
            api.refreshes += 1
        return account.access


class RestLoad:
    """``rate`` requests a second, spread evenly, the mix in turn. Request n goes to
    thread n mod ``threads``, each on its one kept-alive connection, so the client
    holds the same connections throughout (each thread's turn comes every threads/rate
    seconds, well inside the server's 5 s keep-alive) and the server's descriptor
    count does not move with how many threads a burst woke."""

    def __init__(self, api: Api, accounts: list[Account], rate: float, threads: int) -> None:
        self.api, self.accounts, self.rate = api, accounts, rate
        self.threads = [threading.Thread(target=self._worker, args=(index, threads), daemon=True,
                                         name=f"rest-{index}") for index in range(threads)]
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._take_fresh()

    def _take_fresh(self) -> None:
        self.recent: list[float] = []  # since the last sample, for the plot
        self.latencies: dict[str, list[float]] = {name: [] for name, _ in REST_MIX}
        self.statuses: Counter = Counter()
        self.failures: list[str] = []
        self.late = 0

    def start(self) -> None:
        self.began = time.monotonic()
        for thread in self.threads:
            thread.start()

    def _worker(self, index: int, threads: int) -> None:
        n = index
        while not self.stopping.is_set():
            due = self.began + n / self.rate
            wait = due - time.monotonic()
            if wait > 0 and self.stopping.wait(wait):
                break
            self._one(n, due)
            n += threads

    def _one(self, n: int, due: float) -> None:
        name, path = REST_MIX[n % len(REST_MIX)]
        account = self.accounts[n // len(REST_MIX) % len(self.accounts)]
        try:
            token = fresh_token(self.api, account)
            late = time.monotonic() - due > LATE_START
            status, _, seconds = self.api.request("GET", path, token=token)
        except (OSError, http.client.HTTPException, ServerFailed) as error:
            with self._lock:
                self.statuses["exception"] += 1
                if len(self.failures) < 10:
                    self.failures.append(f"{name}: {error!r}")
            return
        with self._lock:
            self.statuses[status] += 1
            self.late += late
            if status == 200:
                self.latencies[name].append(seconds)
                self.recent.append(seconds)

    def recent_p99_ms(self) -> float | None:
        """p99 of the requests answered since the last call (the plot's finer line)."""
        with self._lock:
            recent, self.recent = self.recent, []
        return ms(percentile(sorted(recent), 0.99))

    def take(self) -> dict:
        """What was answered since the last take."""
        with self._lock:
            latencies, statuses, failures, late = self.latencies, self.statuses, self.failures, self.late
            self._take_fresh()
        every = sorted(s for values in latencies.values() for s in values)
        return {
            "requests": sum(statuses.values()), "ok": len(every),
            "errors": sum(n for status, n in statuses.items() if status != 200),
            "statuses": {str(status): n for status, n in statuses.items()}, "late": late,
            "p50_ms": ms(percentile(every, 0.50)), "p99_ms": ms(percentile(every, 0.99)),
            "max_ms": ms(every[-1]) if every else None,
            "p99_ms_by_route": {name: ms(percentile(sorted(v), 0.99)) for name, v in latencies.items()},
            "failures": failures,
        }

    def is_alive(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)


# -- chat -------------------------------------------------------------------------------

def register(api: Api, username: str) -> Account:
    """A registered user (argon2: a fraction of a second of core 0 each)."""
    status, body, _ = api.request("POST", "/api/auth/register/", body={
        "username": username, "password": f"Soak-{secrets.token_hex(8)}-1"})
    if status != 201:
        raise ServerFailed(f"POST /api/auth/register/ answered {status}: {body}")
    return Account(user_id_of(body["access"]), body["access"], body["refresh"])


@dataclass(eq=False)
class Member:
    account: Account
    chat_id: int
    sock: socket.socket | None = None  # None while it is down
    inbox: bytearray = field(default_factory=bytearray)
    last_event_id: int | None = None  # the newest event read: where a reconnection replays from
    reconnect_at: float = 0.0
    unacked: dict[int, bytes] = field(default_factory=dict)  # number -> its send_message frame


class ChatLoad(threading.Thread):
    """Group chats over the members' user sockets, messages at a fixed rate.

    A socket the server closes (1011 when the notification hub restarts, 1008 for a
    slow consumer) is opened again after RECONNECT_AFTER with ``last_event_id``, as
    docs/LIVE_CHANNEL.md tells clients, so the member gets the events it missed; the
    messages it sent that were not answered yet are sent again with the same
    ``client_id``, which the server stores once. A member whose turn comes while its
    socket is down sends nothing (``unsent``). Every acknowledged message and every
    delivery is kept for ``check``."""

    def __init__(self, api: Api, ws_port: int, groups: int, members: int, rate: float) -> None:
        super().__init__(name="chat", daemon=True)
        self.api, self.ws_port, self.rate = api, ws_port, rate
        self.groups, self.per_group = groups, members
        self.members: list[Member] = []
        self.selector = selectors.DefaultSelector()
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self.sent_at: dict[int, float] = {}
        self.sender: dict[int, Member] = {}
        self.acked_ids: dict[int, int] = {}  # number -> the id it is stored under, the whole run
        self.received: set[tuple[int, int]] = set()  # (number, recipient), the whole run
        self.counts = Counter(dict.fromkeys(CHAT_COUNTS, 0))  # the whole run; keys fixed: read unlocked
        self._counts_taken: Counter = Counter()
        self.close_codes: Counter = Counter()
        self.next_number = 0
        self.pongs = 0
        self._take_fresh()

    def _take_fresh(self) -> None:
        self.sent = self.acked = self.delivered = 0
        self.refused: Counter = Counter()
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def set_up(self) -> None:
        """Register the members, make each group with its first member as admin, open
        and subscribe every socket."""
        run = secrets.token_hex(3)
        names = [(g, f"soak{run}g{g}m{m}") for g in range(self.groups) for m in range(self.per_group)]
        with ThreadPoolExecutor(4) as pool:
            registered = list(pool.map(lambda entry: (entry[0], register(self.api, entry[1])), names))
        for group in range(self.groups):
            accounts = [account for g, account in registered if g == group]
            status, body, _ = self.api.request(
                "POST", "/api/chat/", token=accounts[0].access,
                body={"name": f"soak group {group}", "members": [a.user_id for a in accounts[1:]]})
            if status != 201:
                raise ServerFailed(f"POST /api/chat/ answered {status}: {body}")
            for account in accounts:
                member = Member(account, body["id"])
                self._open(member)
                self.members.append(member)
        for member in self.members:
            member.sock.sendall(PING)
        deadline = time.monotonic() + 30
        while self.pongs < len(self.members):
            if time.monotonic() > deadline:
                raise ServerFailed(f"chat: {self.pongs} of {len(self.members)} user sockets subscribed")
            self._poll(0.1)

    def _open(self, member: Member) -> None:
        """Open the member's socket, replaying from its last event, and send again what
        it sent unanswered."""
        path = "/ws/" if member.last_event_id is None else f"/ws/?last_event_id={member.last_event_id}"
        sock = socket.create_connection(("127.0.0.1", self.ws_port), timeout=10)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            request = upgrade_request("127.0.0.1", self.ws_port, path)
            token = fresh_token(self.api, member.account)
            sock.sendall(request[:-2] + f"Cookie: access={token}\r\n\r\n".encode())
            response = b""
            while b"\r\n\r\n" not in response:
                chunk = sock.recv(4096)
                if not chunk:
                    raise ServerFailed("chat: the user socket closed during its upgrade")
                response += chunk
            head, _, rest = response.partition(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 101"):
                raise ServerFailed(f"chat: /ws/ refused: {head[:80]!r}")
            for frame in member.unacked.values():
                sock.sendall(frame)
        except BaseException:
            sock.close()
            raise
        self.counts["resent"] += len(member.unacked)
        sock.setblocking(False)
        member.sock, member.inbox = sock, bytearray(rest)
        self.selector.register(sock, selectors.EVENT_READ, member)

    def _reconnect(self) -> None:
        now = time.monotonic()
        for member in self.members:
            if member.sock is None and member.reconnect_at <= now:
                try:
                    self._open(member)
                    self.counts["reconnects"] += 1
                except (OSError, ServerFailed):
                    self.counts["reconnect_failures"] += 1
                    member.reconnect_at = now + RECONNECT_AFTER

    def run(self) -> None:
        began, n = time.monotonic(), 0
        while not self.stopping.is_set():
            due = began + n / self.rate
            while (now := time.monotonic()) < due and not self.stopping.is_set():
                self._reconnect()
                self._poll(min(due - now, 0.2))
            if self.stopping.is_set():
                break
            self._send(self.members[n % len(self.members)])
            n += 1
        deadline = time.monotonic() + CHAT_DRAIN_SECONDS  # deliveries on their way
        while time.monotonic() < deadline:
            self._reconnect()
            self._poll(0.1)

    def _send(self, member: Member) -> None:
        if member.sock is None:
            self.counts["unsent"] += 1
            return
        number = self.next_number
        self.next_number += 1
        frame = masked_frame(b'{"type":"send_message","chat_id":%d,"content":"m%d","client_id":"%d"}'
                             % (member.chat_id, number, number))
        member.unacked[number] = frame
        with self._lock:
            self.sender[number] = member
            self.sent_at[number] = time.perf_counter()
            self.sent += 1
        try:
            member.sock.settimeout(5.0)  # a small frame: only a server that stopped reading blocks
            member.sock.sendall(frame)
            member.sock.setblocking(False)
        except OSError as error:
            self._lost(member, f"send: {error}")

    def _lost(self, member: Member, why: str, code: int | None = None) -> None:
        """Its socket is gone: counted, and opened again after RECONNECT_AFTER."""
        if member.sock is None:
            return
        with self._lock:
            self.errors.append(f"user {member.account.user_id}: {why}")
        self.close_codes["no close frame" if code is None else str(code)] += 1
        self.selector.unregister(member.sock)
        member.sock.close()
        member.sock = None
        member.reconnect_at = time.monotonic() + RECONNECT_AFTER

    def _poll(self, timeout: float) -> None:
        for key, _ in self.selector.select(max(0.0, timeout)):
            member: Member = key.data
            if member.sock is None:
                continue  # lost on an earlier key of this round
            try:
                chunk = member.sock.recv(262_144)
            except BlockingIOError:
                continue
            except OSError as error:
                self._lost(member, f"recv: {error}")
                continue
            if not chunk:
                self._lost(member, "closed by the server")
                continue
            member.inbox += chunk
            self._frames(member)

    def _frames(self, member: Member) -> None:
        now = time.perf_counter()
        for opcode, payload in take_server_frames(member.inbox):
            if opcode == 0x8:
                code = int.from_bytes(payload[:2]) if len(payload) >= 2 else None
                return self._lost(member, f"closed by the server: {payload[:60]!r}", code)
            if opcode == 0x9:
                member.sock.send(masked_frame(payload, opcode=0xA))
            elif opcode == 0x1:
                self._message(member, json.loads(payload), now)

    def _message(self, member: Member, message: dict, now: float) -> None:
        kind = message["type"]
        if "id" in message:  # an event
            member.last_event_id = max(member.last_event_id or 0, message["id"])
        if kind == "receive-message":
            number = int(message["data"]["content"][1:])
            recipient = member.account.user_id
            with self._lock:
                sender = self.sender.get(number)
                if sender is None or sender is member:
                    return
                if (number, recipient) in self.received:
                    self.counts["duplicates"] += 1  # a replay must not give it twice
                else:
                    self.received.add((number, recipient))
                    self.delivered += 1
                    self.latencies.append(now - self.sent_at[number])
        elif kind == "message_sent":
            number = int(message["client_id"])
            if member.unacked.pop(number, None) is not None:  # a resent one is answered once
                with self._lock:
                    self.acked += 1
                    self.acked_ids[number] = message["message"]["id"]
        elif kind == "message_refused":
            member.unacked.pop(int(message["client_id"]), None)
            with self._lock:
                self.refused[message.get("code") or "?"] += 1
        elif kind == "pong":
            self.pongs += 1
        elif kind == "error":
            with self._lock:
                self.errors.append(json.dumps(message)[:200])

    def take(self) -> dict:
        with self._lock:
            sent, acked, delivered, refused = self.sent, self.acked, self.delivered, self.refused
            latencies, errors = sorted(self.latencies), self.errors
            self._take_fresh()
            counts = self.counts.copy()
        since, self._counts_taken = counts - self._counts_taken, counts
        return {
            "sent": sent, "acked": acked, "refused": sum(refused.values()),
            "refusals": dict(refused), "delivered": delivered,
            "expected_deliveries": sent * (self.per_group - 1),
            "p50_ms": ms(percentile(latencies, 0.50)), "p99_ms": ms(percentile(latencies, 0.99)),
            "max_ms": ms(latencies[-1]) if latencies else None,
            "sockets_open": sum(member.sock is not None for member in self.members),
            **{name: since[name] for name in CHAT_COUNTS},
            "errors": errors,
        }

    def check(self) -> dict:
        """After the run: is every acknowledged message in its group's history, read back
        over REST, and did every other member of the group receive it?"""
        stored: set[int] = set()
        for chat_id, reader in {member.chat_id: member for member in self.members}.items():
            offset = 0
            while True:
                status, body, _ = self.api.request(
                    "GET", f"/api/chat/{chat_id}/messages/?limit=100&offset={offset}",
                    token=fresh_token(self.api, reader.account))
                if status != 200:
                    raise ServerFailed(f"GET /api/chat/{chat_id}/messages/ answered {status}: {body}")
                stored.update(message["id"] for message in body["results"])
                offset += 100
                if not body.get("next"):
                    break
        lost = sorted(number for number, message_id in self.acked_ids.items() if message_id not in stored)
        expected = {(number, other.account.user_id) for number in self.acked_ids
                    for other in self.members
                    if other.chat_id == self.sender[number].chat_id and other is not self.sender[number]}
        missing = sorted(expected - self.received)
        return {
            "acked": len(self.acked_ids), "stored": len(self.acked_ids) - len(lost), "lost": len(lost),
            "lost_first": lost[:10], "deliveries_expected": len(expected),
            "delivered": len(expected) - len(missing), "missing": len(missing),
            "missing_first": missing[:10], "duplicates": self.counts["duplicates"],
            "reconnects": self.counts["reconnects"], "reconnect_failures": self.counts["reconnect_failures"],
            "resent": self.counts["resent"], "unsent": self.counts["unsent"],
            "close_codes": dict(self.close_codes), "met": not lost and not missing,
        }

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)
        for member in self.members:
            if member.sock is not None:
                member.sock.close()


# -- matches ----------------------------------------------------------------------------

class LoadClient(Child):
    """bench/load_client.py on the load core, its players missing now and then. Two
    threads speak to it (the matchmaking and the sampling), one at a time."""

    def __init__(self, python: str, miss: float) -> None:
        script = Path(__file__).with_name("load_client.py")
        super().__init__("load client", [python, str(script), "--core", str(LOAD_CORE),
                                         "--rate", str(RATE), "--miss", str(miss)])
        self.lock = threading.RLock()  # ask() sends under it too

    def ask(self, op: str, expect: str, timeout: float = 60.0, **fields) -> dict:
        with self.lock:
            return super().ask(op, expect, timeout, **fields)

    def send(self, op: str, **fields) -> None:
        with self.lock:
            super().send(op, **fields)


class Matchmaking(threading.Thread):
    """Keeps ``target`` matches going: players whose match ended queue again and are
    handed to the load client once the matchmaker has paired them. A player left
    waiting REJOIN_AFTER asks to join again: a 409 says it is still queued (or paired),
    a 201 that the queue had forgotten it (a restarted matchmaker starts empty), and
    is counted as ``queue_rejoined``. The codes of the matches whose end the load
    client saw are kept for ``recorded``."""

    def __init__(self, api: Api, client: LoadClient, target: int) -> None:
        super().__init__(name="matchmaking", daemon=True)
        self.api, self.client, self.target = api, client, target
        self.accounts: dict[int, Account] = {}
        self.by_token: dict[str, int] = {}  # a token handed to the load client -> its player
        self.last_url: dict[int, str] = {}  # each player's latest match (still listed a moment after)
        self.ended_at: dict[int, float] = {}
        self.ended_codes: set[str] = set()  # the whole run
        self.due: deque[tuple[float, int]] = deque()  # (not before, player) to queue
        self.waiting: dict[int, float] = {}  # queued players -> when the queue last took them
        self.run_totals: Counter = Counter()  # started, refused, rejoined: the whole run
        self.stopping = threading.Event()
        self.failure: BaseException | None = None
        self._lock = threading.Lock()
        self._next_poll = 0.0
        self._take_fresh()

    def _take_fresh(self) -> None:
        self.started = 0
        self.ended_players = 0
        self.end_reasons: Counter = Counter()
        self.lost: list[str] = []
        self.lost_count = 0
        self.busy_retries = 0
        self.rejoined = 0
        self.refused: Counter = Counter()
        self.rematch_seconds: list[float] = []

    def set_up(self) -> None:
        with ThreadPoolExecutor(SETUP_THREADS) as pool:
            for account in pool.map(lambda _: new_guest(self.api), range(2 * self.target)):
                self.accounts[account.user_id] = account
                self.due.append((0.0, account.user_id))

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.step()
                self.stopping.wait(MATCHMAKING_STEP)
        except BaseException as error:  # the main thread reports it
            self.failure = error

    def step(self) -> None:
        now = time.monotonic()
        ends = self.client.ask("ends", "ends")
        with self._lock:
            for token, reason, _goals in ends["ended"]:
                user_id = self.by_token.pop(token, None)
                if user_id is not None:
                    self.ended_players += 1
                    self.end_reasons[reason] += 1
                    self.ended_at[user_id] = now
                    self.ended_codes.add(self.last_url[user_id].rstrip("/").rsplit("/", 1)[1])
                    self.due.append((now, user_id))
            for token, error in ends["lost"]:
                user_id = self.by_token.pop(token, None)
                if user_id is not None:
                    self.lost_count += 1
                    if len(self.lost) < 10:
                        self.lost.append(error)
                    self.due.append((now + RETRY_REFUSED_AFTER, user_id))
        for _ in range(len(self.due)):
            not_before, user_id = self.due.popleft()
            if not_before > now:
                self.due.append((not_before, user_id))
                continue
            status = self._join(user_id)
            if status == 201:
                self.waiting[user_id] = now
            elif status == 409:  # still engaged in the match that just ended
                with self._lock:
                    self.busy_retries += 1
                self.due.append((now + RETRY_BUSY_AFTER, user_id))
            else:
                self.due.append((now + RETRY_REFUSED_AFTER, user_id))
        for user_id, since in list(self.waiting.items()):
            if now - since >= REJOIN_AFTER:
                if self._join(user_id) == 201:
                    with self._lock:
                        self.rejoined += 1
                        self.run_totals["rejoined"] += 1
                self.waiting[user_id] = now
        if self.waiting and now >= self._next_poll:
            self._next_poll = now + POLL_LIVE_EVERY
            self._hand_paired()

    def _join(self, user_id: int) -> int:
        """``POST /api/play/duel/``'s status; a refusal other than 409 is counted."""
        status, _, _ = self.api.request("POST", "/api/play/duel/",
                                        token=fresh_token(self.api, self.accounts[user_id]))
        if status not in (201, 409):
            with self._lock:
                self.refused[status] += 1
                self.run_totals["refused"] += 1
        return status

    def _hand_paired(self) -> None:
        token = fresh_token(self.api, self.accounts[next(iter(self.waiting))])
        offset, conns = 0, []
        while True:
            status, body, _ = self.api.request("GET", f"/api/game/live/?limit=100&offset={offset}",
                                               token=token)
            if status != 200:
                with self._lock:
                    self.refused[f"live {status}"] += 1
                return
            for match in body["results"]:
                players, url = match["players"], match["ws_url"]
                if not all(p in self.waiting and self.last_url.get(p) != url for p in players):
                    continue
                now = time.monotonic()
                with self._lock:
                    for player in players:
                        del self.waiting[player]
                        self.last_url[player] = url
                        access = self.accounts[player].access
                        self.by_token[access] = player
                        conns.append([url, access])
                        if player in self.ended_at:
                            self.rematch_seconds.append(now - self.ended_at.pop(player))
                    self.started += 1
                    self.run_totals["started"] += 1
            offset += 100
            if not body.get("next"):
                break
        if conns:
            self.client.send("add", conns=conns)

    def take(self) -> dict:
        with self._lock:
            figures = {
                "started": self.started, "ended": self.ended_players // 2,
                "end_reasons": dict(self.end_reasons), "lost_connections": self.lost_count,
                "lost": self.lost, "busy_retries": self.busy_retries, "queue_rejoined": self.rejoined,
                "queue_refused": {str(k): n for k, n in self.refused.items()},
                "rematch_seconds": sorted(self.rematch_seconds),
            }
            # An odd player out carries over to the next period's count.
            odd = self.ended_players % 2
            self._take_fresh()
            self.ended_players = odd
        seconds = figures.pop("rematch_seconds")
        figures["rematch_p50_s"] = round(percentile(seconds, 0.5), 2) if seconds else None
        figures["rematch_max_s"] = round(seconds[-1], 2) if seconds else None
        figures["waiting_now"] = len(self.waiting) + len(self.due)
        return figures

    def totals_now(self) -> Counter:
        with self._lock:
            return self.run_totals.copy()

    def recorded(self) -> dict:
        """After the run: has every match whose end the load client saw its record?
        ``GET /api/game/matches/<code>/`` gives it an ``id`` once stored; a record
        written on a later try gets RECORDED_WITHIN."""
        token = fresh_token(self.api, next(iter(self.accounts.values())))
        missing = set(self.ended_codes)
        deadline = time.monotonic() + RECORDED_WITHIN
        while True:
            for code in sorted(missing):
                status, body, _ = self.api.request("GET", f"/api/game/matches/{code}/", token=token)
                if status == 200 and body.get("id") is not None:
                    missing.discard(code)
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(1.0)
        return {"ended": len(self.ended_codes), "recorded": len(self.ended_codes) - len(missing),
                "missing": sorted(missing)[:10], "met": not missing}

    def leave_queue(self) -> None:
        """Once stopped: the players it had queued leave the queue, as a closed tab's would."""
        for user_id in list(self.waiting):
            self.api.request("DELETE", "/api/play/duel/", token=fresh_token(self.api, self.accounts[user_id]))
        self.waiting.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


# -- actor faults (--kill-actors) ---------------------------------------------------------

def restarts(server: Courtside) -> dict[str, float]:
    return by_label("\n".join(server.metrics()), "courtside_actor_restarts_total")


def can_queue(api: Api, accounts: list[Account], tournaments: dict[int, str]) -> dict:
    """Nobody left engaged: each account joins the duel queue (201) and leaves it, one
    at a time, so the matchmaker never holds two to pair. A 409 is asked again each
    second for ENGAGED_TIMEOUT (a match of the stopped load ends once its players'
    grace is over). The host of a killed tournament leaves it first: the restarted
    tournament holds its people, as it should."""
    left = {}
    for account in accounts:
        if account.user_id in tournaments:
            code = tournaments[account.user_id]
            left[code], _, _ = api.request("DELETE", f"/api/play/tournament/{code}/",
                                           token=fresh_token(api, account))
    pending = {account.user_id: account for account in accounts}
    answers: dict[int, str] = {}
    deadline = time.monotonic() + ENGAGED_TIMEOUT
    while pending and time.monotonic() < deadline:
        for user_id, account in list(pending.items()):
            token = fresh_token(api, account)
            status, body, _ = api.request("POST", "/api/play/duel/", token=token)
            if status == 201:
                api.request("DELETE", "/api/play/duel/", token=token)
                del pending[user_id]
            else:
                answers[user_id] = f"{status} {body.get('detail') if isinstance(body, dict) else body}"
        if pending:
            time.sleep(1.0)
    return {"accounts": len(accounts), "queued": len(accounts) - len(pending), "left_tournaments": left,
            "engaged": {str(user_id): answers[user_id] for user_id in pending},
            "met": not pending and all(status == 204 for status in left.values())}


class ActorKills:
    """``--kill-actors MINUTE``: before the run, lobbies and tournaments enough for a
    tenth of them to be someone's (guests may host a lobby, only registered users a
    tournament); at the minute, SIGUSR1 to bench/fault_server.py (see there); after
    the run, the checks of issue 19's point 4."""

    def __init__(self, api: Api, server: FaultyCourtside) -> None:
        self.api, self.server = api, server
        self.owners: dict[str, Account] = {}  # lobby code -> its owner
        self.hosts: dict[str, Account] = {}  # tournament code -> its host
        self.before: dict | None = None  # figures from before the kills
        self.timer: threading.Timer | None = None

    def set_up(self, count: int) -> None:
        run = secrets.token_hex(3)
        with ThreadPoolExecutor(4) as pool:
            owners = list(pool.map(lambda _: new_guest(self.api), range(count)))
            hosts = list(pool.map(lambda n: register(self.api, f"soak{run}h{n}"), range(count)))
        for n, (owner, host) in enumerate(zip(owners, hosts)):
            self.owners[self._made(owner, "/api/play/lobby/", {"game_mode": "clash"})] = owner
            self.hosts[self._made(host, "/api/play/tournament/", {"name": f"soak cup {n}", "size": 4})] = host

    def _made(self, account: Account, path: str, body: dict) -> str:
        status, made, _ = self.api.request("POST", path, token=account.access, body=body)
        if status != 201:
            raise ServerFailed(f"POST {path} answered {status}: {made}")
        return made["code"]

    def start(self, delay: float, matchmaking: Matchmaking) -> None:
        """Kill ``delay`` s from now. The restarts are read now, before the run (a read
        of /metrics in the run would reset the sampler's loop-stall gauge): any restart
        in the run beyond the kills' shows as a difference."""
        self.before = {"restarts": restarts(self.server)}

        def kill() -> None:
            self.before.update(unix=time.time(), matches=matchmaking.totals_now())
            self.server.kill_actors()
            log(f"  actors killed (SIGUSR1 to the server) at minute {delay / 60:g}")

        self.timer = threading.Timer(delay, kill)
        self.timer.daemon = True
        self.timer.start()

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()

    def check(self, chat: ChatLoad, matchmaking: Matchmaking) -> dict:
        """(a) each kill counted once as a restart of its kind in /metrics; (b) every
        acknowledged chat message stored and received by every other member; (c) every
        match end the load client saw recorded; (d) players, owners of the killed lobbies
        and hosts of the killed tournaments can all queue."""
        if self.before is None or "unix" not in self.before:
            return {"done": False}
        told = self.server.kills(KILLS_TOLD_WITHIN)
        if told is None:
            raise ServerFailed("bench/fault_server.py did not say what it killed")
        killed = [entry for entry in told["killed"] if entry["ok"]]
        per_kind = dict(Counter(entry["kind"] for entry in killed))
        after = restarts(self.server)
        restarted = {kind: int(count - self.before["restarts"].get(kind, 0)) for kind, count in after.items()
                     if count != self.before["restarts"].get(kind, 0)}
        since = matchmaking.totals_now() - self.before["matches"]
        codes = {kind: [entry["name"].partition(":")[2] for entry in killed if entry["kind"] == kind]
                 for kind in ("lobby", "tournament")}
        groups = {str(member.chat_id) for member in chat.members}
        log("checking: stored messages, match records, who can queue")
        matchmaking.leave_queue()
        accounts = [*matchmaking.accounts.values(), *(self.owners[code] for code in codes["lobby"]),
                    *(self.hosts[code] for code in codes["tournament"])]
        return {
            "signalled_unix": round(self.before["unix"], 3), "seed": told["seed"], "running": told["running"],
            "killed": told["killed"],
            "soak_groups_killed": [entry["name"] for entry in killed if entry["kind"] == "chat"
                                   and entry["name"].partition(":")[2] in groups],
            "restarts": {"killed": per_kind, "restarted": restarted, "met": restarted == per_kind},
            "messages": chat.check(),
            "records": matchmaking.recorded(),
            "engaged": can_queue(self.api, accounts, {self.hosts[code].user_id: code
                                                      for code in codes["tournament"]}),
            "after_kills": {"matches_started": since["started"], "queue_refused": since["refused"],
                            "queue_rejoined": since["rejoined"]},
        }


def word(met: bool) -> str:
    return "met" if met else "MISSED"


def print_kills(kills: dict) -> None:
    if not kills.get("done", True):
        print("actor kills: not done (the run ended before their minute)")
        return
    named = ", ".join(f"{entry['kind']} {entry['name']}" + ("" if entry["ok"] else " (not running)")
                      for entry in kills["killed"])
    print(f"actor kills (seed {kills['seed']}; running before: "
          f"{', '.join(f'{kind} {n}' for kind, n in kills['running'].items())}): {named}; "
          f"soak's chat groups among them: {', '.join(kills['soak_groups_killed']) or 'none'}")
    restarted = kills["restarts"]
    print(f"restarts in /metrics since: {restarted['restarted']} against kills {restarted['killed']}: "
          f"{word(restarted['met'])}")
    messages = kills["messages"]
    print(f"chat messages acked {messages['acked']}, stored {messages['stored']} (lost {messages['lost']}); "
          f"deliveries {messages['delivered']} of {messages['deliveries_expected']} "
          f"(duplicates {messages['duplicates']}); reconnects {messages['reconnects']} "
          f"(closes {messages['close_codes']}, failed tries {messages['reconnect_failures']}), "
          f"resent {messages['resent']}, unsent while down {messages['unsent']}: {word(messages['met'])}")
    records = kills["records"]
    print(f"matches ended (seen by the load client) {records['ended']}, recorded {records['recorded']}: "
          f"{word(records['met'])}")
    after, engaged = kills["after_kills"], kills["engaged"]
    print(f"after the kills: {after['matches_started']} matches started, queue refusals {after['queue_refused']} "
          f"(retried), {after['queue_rejoined']} players rejoined a queue that had forgotten them")
    print(f"nobody left engaged: {engaged['queued']} of {engaged['accounts']} (players, killed lobbies' owners, "
          f"killed tournaments' hosts, who left them first: {engaged['left_tournaments']}) joined the duel "
          f"queue at the end: {word(engaged['met'])}")


# -- the machine's own stalls ----------------------------------------------------------

PROBE_TICK = 0.005
PROBE_STALL = 0.05  # a wake-up this much later than asked is a stall of the core
MACHINE_STALL_MS = 100.0  # a probe stall this long marks a period in the verdict


def probe(core: int) -> int:
    """``--probe-core N``: a child on core N that wakes every 5 ms and notes each wake-up
    over 50 ms late. Next to the server's loop stalls it tells a stall of the core or
    the machine (the probe on core 0 stalls too) from one of the server's own making
    (it does not). JSON lines: {"op": "report"} -> {"ev": "probe", "stalls": [[unix time,
    ms late], ...]} since the last report; {"op": "quit"}."""
    import select

    os.sched_setaffinity(0, {core})
    stalls: list[list[float]] = []
    pending = b""
    stdin = sys.stdin.fileno()
    while True:
        before = time.perf_counter()
        readable, _, _ = select.select([stdin], [], [], PROBE_TICK)
        late = time.perf_counter() - before - PROBE_TICK
        if late > PROBE_STALL and not readable:
            stalls.append([round(time.time(), 3), round(1000 * late, 1)])
        if not readable:
            continue
        chunk = os.read(stdin, 65536)
        if not chunk:
            return 0
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            op = json.loads(line)["op"] if line.strip() else None
            if op == "report":
                sys.stdout.write(json.dumps({"ev": "probe", "stalls": stalls}) + "\n")
                sys.stdout.flush()
                stalls = []
            elif op == "quit":
                return 0


class Probes:
    """The stall probes on core 0 (the server's) and core 1 (the load's)."""

    def __init__(self, python: str) -> None:
        script = str(Path(__file__).resolve())
        self.children = {core: Child(f"probe core {core}", [python, script, "--probe-core", str(core)])
                         for core in (0, LOAD_CORE)}

    def processes(self) -> list[psutil.Process]:
        return [child.process for child in self.children.values()]

    def take(self) -> dict:
        figures = {}
        for core, child in self.children.items():
            stalls = child.ask("report", "probe")["stalls"]
            # Local times, as the server's log writes them, to set beside its loop stalls.
            figures[f"core{core}"] = {
                "stalls": len(stalls), "max_ms": max((late for _, late in stalls), default=0.0),
                "at": [[datetime.datetime.fromtimestamp(at).strftime("%H:%M:%S.%f")[:-3], late, at]
                       for at, late in stalls[:20]]}
        return figures

    def stop(self) -> None:
        for child in self.children.values():
            child.stop(CLIENT_STOP_TIMEOUT)


# -- sampling ---------------------------------------------------------------------------

class Sampler:
    """The server's memory, descriptors and metrics, read together."""

    def __init__(self, server: Courtside, client: LoadClient | None) -> None:
        self.server, self.client = server, client
        self.postgres: dict[int, psutil.Process] = {}  # every PostgreSQL process seen

    def postgres_left(self) -> int:
        """PostgreSQL processes still running (after the server stopped: should be none)."""
        return sum(process.is_running() for process in self.postgres.values())

    def take(self, t0: float) -> dict:
        text = "\n".join(self.server.metrics())
        fds = self.server.process.num_fds()
        game_sockets = gauge(text, "courtside_game_sockets")
        helpers = self.server.helpers()
        self.postgres.update((process.pid, process) for process in helpers)
        pss, pg_rss = postgres_memory(helpers)
        status = self.client.ask("status", "status")
        actors = by_label(text, "courtside_actors")
        return {
            "t": round(time.monotonic() - t0, 1),
            "rss_mib": round(self.server.rss_bytes() / 2**20, 1),
            "postgres_pss_mib": pss, "postgres_rss_mib": pg_rss,
            "fds": fds, "game_sockets": game_sockets,
            "fds_net": None if game_sockets is None else int(fds - game_sockets),
            "open_sockets": gauge(text, "courtside_open_sockets"),
            "live_matches": gauge(text, "courtside_live_matches"),
            "players_playing": status["playing"], "players_open": status["open"],
            "actors": int(sum(actors.values())), "actors_by_kind": actors,
            "loop_stall_ms": ms(gauge(text, "courtside_loop_stall_seconds")),
            "skipped_total": gauge(text, "courtside_tick_skipped_total"),
            "major_faults": major_faults(self.server.process),
            "_lateness": histogram_buckets([text], LATENESS_METRIC),
        }


def period_row(number: int, samples: list[dict], start: dict, end: dict, rest: dict, chat: dict,
               matches: dict, probes: dict, cpu) -> dict:
    playing = [s["players_playing"] / 2 for s in samples]
    live = [s["live_matches"] for s in samples if s["live_matches"] is not None]
    net = [s["fds_net"] for s in samples if s["fds_net"] is not None]
    stalls = [s["loop_stall_ms"] for s in samples if s["loop_stall_ms"] is not None]
    skipped = (None if end["skipped_total"] is None or start["skipped_total"] is None
               else int(end["skipped_total"] - start["skipped_total"]))
    faults = (None if end["major_faults"] is None or start["major_faults"] is None
              else end["major_faults"] - start["major_faults"])
    errors = (rest["errors"] + chat["refused"] + len(chat["errors"]) + matches["lost_connections"]
              + sum(matches["queue_refused"].values())
              + sum(n for reason, n in matches["end_reasons"].items() if reason != "score"))
    return {
        "period": number, "end_minute": round(end["t"] / 60, 2),
        "rss_mib": end["rss_mib"], "rss_max_mib": max(s["rss_mib"] for s in samples),
        "postgres_pss_mib": end["postgres_pss_mib"], "postgres_rss_mib": end["postgres_rss_mib"],
        "fds": end["fds"], "fds_max": max(s["fds"] for s in samples),
        "fds_net": end["fds_net"], "fds_net_max": max(net) if net else None,
        "fds_net_min": min(net) if net else None,
        "tick_lateness_p50_ms": histogram_quantile(0.50, start["_lateness"], end["_lateness"]),
        "tick_lateness_p99_ms": histogram_quantile(0.99, start["_lateness"], end["_lateness"]),
        "deadlines_skipped": skipped, "loop_stall_max_ms": max(stalls) if stalls else None,
        "server_major_faults": faults, "probe_stalls": probes,
        "rest": rest, "chat": chat, "matches": matches,
        "matches_playing_mean": round(sum(playing) / len(playing), 1) if playing else None,
        "matches_playing_min": min(playing) if playing else None,
        # The server's own count (its countdowns included), mean of samples.
        "server_live_matches_mean": round(sum(live) / len(live), 1) if live else None,
        "actors": end["actors"], "actors_by_kind": end["actors_by_kind"],
        "errors": errors,
        "server_cpu_percent": cpu.percent("server"), "postgres_cpu_percent": cpu.percent("postgres"),
        "client_cpu_percent": cpu.percent("client"), "orchestrator_cpu_percent": cpu.percent("orchestrator"),
        "foreign_cpu_percent": cpu.foreign_percent, "cores": cpu.cores,
    }


def _fmt(value, spec: str = "") -> str:
    return "-" if value is None else format(value, spec)


HEADER = (f"{'period':>6} {'min':>5} {'RSS Mi':>7} {'pg PSS':>6} {'fds':>5} {'net':>4} {'net max':>7} "
          f"{'tick p50':>8} {'p99':>6} {'skips':>5} {'stall':>6} {'c0 stall':>8} {'c1 stall':>8} {'REST n':>6} {'p50':>6} {'p99':>6} {'late':>4} "
          f"{'started':>7} {'ended':>5} {'playing':>7} {'rematch':>7} {'chat sent':>9} {'acked':>5} "
          f"{'deliv':>6} {'p99':>6} {'errors':>6} {'srv %':>5} {'others %':>8}")


def print_row(row: dict) -> None:
    rest, chat, matches = row["rest"], row["chat"], row["matches"]
    print(f"{row['period']:>6} {row['end_minute']:>5.1f} {row['rss_mib']:>7.1f} "
          f"{_fmt(row['postgres_pss_mib'], '.0f'):>6} {row['fds']:>5} {_fmt(row['fds_net']):>4} "
          f"{_fmt(row['fds_net_max']):>7} {_fmt(row['tick_lateness_p50_ms'], '.2f'):>8} "
          f"{_fmt(row['tick_lateness_p99_ms'], '.2f'):>6} {_fmt(row['deadlines_skipped']):>5} "
          f"{_fmt(row['loop_stall_max_ms'], '.1f'):>6} "
          f"{row['probe_stalls']['core0']['max_ms']:>8.1f} "
          f"{row['probe_stalls'][f'core{LOAD_CORE}']['max_ms']:>8.1f} "
          f"{rest['requests']:>6} {_fmt(rest['p50_ms'], '.1f'):>6} {_fmt(rest['p99_ms'], '.1f'):>6} "
          f"{rest['late']:>4} {matches['started']:>7} {matches['ended']:>5} "
          f"{_fmt(row['matches_playing_mean'], '.1f'):>7} {_fmt(matches['rematch_p50_s'], '.1f'):>7} "
          f"{chat['sent']:>9} {chat['acked']:>5} {chat['delivered']:>6} {_fmt(chat['p99_ms'], '.1f'):>6} "
          f"{row['errors']:>6} {row['server_cpu_percent']:>5.1f} {row['foreign_cpu_percent']:>8.1f}",
          flush=True)


def verdict(rows: list[dict], kills: dict | None = None) -> dict:
    """The issue's targets, judged as the module docstring says."""
    result: dict = {"periods": len(rows)}
    if kills is not None:
        checks = ("restarts", "messages", "records", "engaged")
        result["actor_kills"] = ({"done": False} if not kills.get("done", True)
                                 else {name: kills[name]["met"] for name in checks})
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = (last["rss_mib"] - first["rss_mib"]) / first["rss_mib"]
        result["rss"] = {"first_mib": first["rss_mib"], "last_mib": last["rss_mib"],
                         "growth_percent": round(100 * growth, 2),
                         "target_percent": 100 * RSS_GROWTH_TARGET, "met": growth < RSS_GROWTH_TARGET}
        met = (first["fds_net_max"] is not None and last["fds_net_max"] is not None
               and last["fds_net_max"] <= first["fds_net_max"])
        result["fds"] = {"first_net_max": first["fds_net_max"], "last_net_max": last["fds_net_max"],
                         "first_net_end": first["fds_net"], "last_net_end": last["fds_net"], "met": met}
    if len(rows) >= 3:
        for name, read in (("tick_lateness", lambda r: r["tick_lateness_p99_ms"]),
                           ("rest", lambda r: r["rest"]["p99_ms"])):
            second, last = read(rows[1]), read(rows[-1])
            met = (second is not None and last is not None
                   and (last <= FLAT_RATIO * second or last - second <= FLAT_SLACK_MS[name]))
            result[f"{name}_p99"] = {"second_ms": second, "last_ms": last,
                                     "ratio": round(last / second, 2) if second and last else None,
                                     "all_ms": [read(r) for r in rows], "met": met}
    result["errors"] = sum(r["errors"] for r in rows)
    # Periods in which core 0 itself stopped (its probe woke late): their p99s and loop
    # stalls hold the machine's stalls too.
    result["core0_stalled"] = {r["period"]: r["probe_stalls"]["core0"]["max_ms"] for r in rows
                               if r["probe_stalls"]["core0"]["max_ms"] >= MACHINE_STALL_MS}
    return result


def print_verdict(result: dict) -> None:
    if "rss" in result:
        rss = result["rss"]
        print(f"RSS after the first period: {rss['first_mib']} -> {rss['last_mib']} MiB, "
              f"{rss['growth_percent']:+.2f} % (target < {rss['target_percent']:.0f} %): {word(rss['met'])}")
        fds = result["fds"]
        print(f"descriptors net of game-port sockets, largest in the first / last period: "
              f"{fds['first_net_max']} / {fds['last_net_max']} (at the periods' ends "
              f"{fds['first_net_end']} / {fds['last_net_end']}; target: no growth): {word(fds['met'])}")
    else:
        print("RSS and descriptor growth: need at least two periods")
    for name, label in (("tick_lateness_p99", "tick lateness p99"), ("rest_p99", "REST p99")):
        if name in result:
            flat = result[name]
            print(f"{label} flat: second period {flat['second_ms']} ms, last {flat['last_ms']} ms "
                  f"(x{_fmt(flat['ratio'])}; within {FLAT_RATIO}x or "
                  f"+{FLAT_SLACK_MS[name.rsplit('_', 1)[0]]} ms): {word(flat['met'])}")
    if "tick_lateness_p99" not in result:
        print("p99s flat: need at least three periods")
    print(f"errors over the run: {result['errors']}")
    if result["core0_stalled"]:
        stalled = ", ".join(f"{period} ({late:.0f} ms)" for period, late in result["core0_stalled"].items())
        print(f"core 0 itself stalled (its probe woke {MACHINE_STALL_MS:.0f} ms or more late) in periods "
              f"{stalled}: their p99s hold the machine's stalls too; the JSON lists when")


def plot(report: dict, out: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("matplotlib is not installed: no plot (.venv/bin/pip install matplotlib)")
        return
    samples, rows = report["samples"], report["periods"]
    minutes = [s["t"] / 60 for s in samples]
    ends = [r["end_minute"] for r in rows]
    fig, axes = plt.subplots(2, 2, figsize=(12, 8), sharex=True)
    (rss, fds), (tick, rest) = axes
    rss.plot(minutes, [s["rss_mib"] for s in samples], label="server RSS")
    if any(s["postgres_pss_mib"] is not None for s in samples):
        rss.plot(minutes, [s["postgres_pss_mib"] for s in samples], label="PostgreSQL PSS")
    rss.set_ylabel("MiB")
    rss.set_title("memory")
    fds.plot(minutes, [s["fds"] for s in samples], label="server fds")
    fds.plot(minutes, [s["fds_net"] for s in samples], label="net of game-port sockets")
    fds.set_title("open file descriptors")
    tick.plot(minutes, [s.get("tick_p99_ms") for s in samples], lw=0.8, alpha=0.5,
              label=f"per {SAMPLE_SECONDS:.0f} s")
    tick.plot(ends, [r["tick_lateness_p99_ms"] for r in rows], "o-", label="per period")
    tick.set_ylabel("ms (log)")
    tick.set_title("tick lateness p99")
    rest.plot(minutes, [s.get("rest_p99_ms") for s in samples], lw=0.8, alpha=0.5,
              label=f"per {SAMPLE_SECONDS:.0f} s")
    rest.plot(ends, [r["rest"]["p99_ms"] for r in rows], "o-", label="per period")
    rest.set_ylabel("ms (log)")
    rest.set_title("REST latency p99")
    # When core 0 itself stopped (its probe woke 100 ms or more late): the machine's stalls.
    stalls = [(at - report["t0_unix"]) / 60 for r in rows for _, late, at in r["probe_stalls"]["core0"]["at"]
              if late >= MACHINE_STALL_MS]
    for axis in axes.flat:
        for end in ends:
            axis.axvline(end, color="grey", lw=0.5, ls=":")
        for index, at in enumerate(stalls):
            axis.axvline(at, color="red", lw=0.6, alpha=0.5,
                         label="core 0 stalled (probe)" if index == 0 and axis is tick else None)
        axis.grid(alpha=0.3)
    fds.set_ylim(bottom=0)  # memory keeps its own range: the growth is what to see
    for axis in (tick, rest):
        axis.set_yscale("log")
        plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
        axis.yaxis.set_major_formatter(plain)
        axis.yaxis.set_minor_formatter(plain)
    for axis in axes.flat:
        axis.legend(loc="lower right", fontsize="small")
    for axis in axes[1]:
        axis.set_xlabel("minutes")
    fig.suptitle(f"Courtside soak: {report['settings']['matches']} matches, chat and REST "
                 f"({report['date']}, {report['revision']})")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


# -- the run ----------------------------------------------------------------------------

def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="measured run, after the warm-up (30)")
    parser.add_argument("--period", type=float, default=300.0, help="seconds per table row (300)")
    parser.add_argument("--matches", type=int, default=DEFAULT_MATCHES,
                        help=f"concurrent 1v1 matches ({DEFAULT_MATCHES}: half the latest measured capacity)")
    parser.add_argument("--miss", type=float, default=DEFAULT_MISS,
                        help=f"a player's chance to let a coming ball through ({DEFAULT_MISS})")
    parser.add_argument("--chat-groups", type=int, default=3)
    parser.add_argument("--chat-members", type=int, default=4)
    parser.add_argument("--chat-rate", type=float, default=4.0, help="chat messages per second, all groups (4)")
    parser.add_argument("--rest-rate", type=float, default=20.0, help="REST requests per second (20)")
    parser.add_argument("--rest-threads", type=int, default=8)
    parser.add_argument("--rest-users", type=int, default=8)
    parser.add_argument("--refresh-after", type=float, default=TOKEN_REFRESH_AFTER,
                        help=f"renew an access token this many seconds old ({TOKEN_REFRESH_AFTER:.0f}; "
                             "they last 15 minutes: lower it to run the refresh in a short soak)")
    parser.add_argument("--kill-actors", type=float, metavar="MINUTE",
                        help="at this minute of the run, kill a tenth of the chat rooms, lobbies and "
                             "tournaments, then the matchmakers and the notification hub "
                             "(bench/fault_server.py runs the node), and check after the run that "
                             "nothing was lost and nobody is left engaged")
    parser.add_argument("--kill-seed", type=int, default=19, help="of the choice of actors to kill (19)")
    parser.add_argument("--out", type=Path, default=Path("bench/soak.json"))
    parser.add_argument("--plot", type=Path, default=Path("bench/soak.png"))
    parser.add_argument("--probe-core", type=int, help=argparse.SUPPRESS)  # the stall probe child
    args = parser.parse_args()
    if args.kill_actors is not None and not 0 <= args.kill_actors < args.minutes:
        parser.error("--kill-actors: a minute of the run, from 0 to --minutes")
    return args


def soak(server: Courtside, sampler: Sampler, args: argparse.Namespace, report: dict) -> None:
    api = Api(server.port, args.refresh_after)
    ws_url, ws_port, _ = server.live_channel()
    client = sampler.client = LoadClient(sys.executable, args.miss)
    report["load_client_command"] = shlex.join(client.command)
    chat = rest = matchmaking = kills = None
    probes = Probes(sys.executable)
    try:
        log(f"chat: {args.chat_groups} groups of {args.chat_members} registered users on {ws_url}")
        chat = ChatLoad(api, ws_port, args.chat_groups, args.chat_members, args.chat_rate)
        chat.set_up()
        rest = RestLoad(api, [new_guest(api) for _ in range(args.rest_users)], args.rest_rate,
                        args.rest_threads)
        if args.kill_actors is not None:
            log(f"actor kills at minute {args.kill_actors:g}: {KILLED_EACH} lobbies (hosted by guests) "
                f"and {KILLED_EACH} tournaments (by registered users) beside the chat rooms")
            kills = ActorKills(api, server)
            kills.set_up(KILLED_EACH)
        log(f"matches: {2 * args.matches} guests queue for duels")
        began = time.monotonic()
        matchmaking = Matchmaking(api, client, args.matches)
        matchmaking.set_up()
        matchmaking.start()
        while sampler.take(began)["players_playing"] < 2 * args.matches:
            if time.monotonic() - began > WARM_UP_TIMEOUT or matchmaking.failure:
                raise ServerFailed(f"the first {args.matches} matches did not all play within "
                                   f"{WARM_UP_TIMEOUT:.0f} s: {matchmaking.failure or matchmaking.take()}")
            time.sleep(1.0)
        report["warm_up_seconds"] = round(time.monotonic() - began, 1)
        log(f"{args.matches} matches playing after {report['warm_up_seconds']} s; "
            f"chat at {args.chat_rate}/s, REST at {args.rest_rate}/s; "
            f"{args.minutes:g} minutes in periods of {args.period:g} s")
        chat.start()
        rest.start()
        matchmaking.take()
        chat.take()
        rest.take()

        if kills is not None:
            kills.start(60 * args.kill_actors, matchmaking)
        t0 = time.monotonic()
        report["t0_unix"] = time.time()
        periods = max(1, round(60 * args.minutes / args.period))
        every = min(SAMPLE_SECONDS, args.period / 6)
        start = previous = sampler.take(t0)
        rest.recent_p99_ms()
        probes.take()
        ours = lambda: our_processes(server, client, {"probes": probes.processes()})  # noqa: E731
        cpu_before = Snapshot.take(ours())
        samples, in_period = [], []
        print()
        print(HEADER)
        print("-" * len(HEADER))
        for number in range(1, periods + 1):
            period_end = t0 + number * args.period
            while True:
                time.sleep(max(0.0, min(every, period_end - time.monotonic())))
                if not server.alive():
                    raise ServerFailed(f"the server died:\n{server.log_tail()}")
                if matchmaking.failure:
                    raise ServerFailed(f"matchmaking failed: {matchmaking.failure!r}")
                sample = sampler.take(t0)
                sample["tick_p99_ms"] = histogram_quantile(0.99, previous["_lateness"], sample["_lateness"])
                sample["rest_p99_ms"] = rest.recent_p99_ms()
                previous = sample
                samples.append(sample)
                in_period.append(sample)
                if time.monotonic() >= period_end - 0.05:
                    break
            cpu_after = Snapshot.take(ours())
            row = period_row(number, in_period, start, sample, rest.take(), chat.take(),
                             matchmaking.take(), probes.take(), usage(cpu_before, cpu_after))
            report["periods"].append(row)
            print_row(row)
            start, cpu_before, in_period = sample, cpu_after, []
        report["samples"] = [{k: v for k, v in s.items() if not k.startswith("_")} for s in samples]
    finally:
        if kills is not None:
            kills.cancel()
        for part in (rest, matchmaking, chat):
            if part is not None and part.is_alive():
                part.stop()
        report["load_client_exit"] = client.stop(CLIENT_STOP_TIMEOUT)
        probes.stop()
        report["http_reconnects"] = api.reconnects
        report["token_refreshes"] = api.refreshes
    if kills is not None:
        report["actor_kills"] = kills.check(chat, matchmaking)


def main() -> int:
    args = _parse_args()
    if args.probe_core is not None:
        return probe(args.probe_core)
    courtside = courtside_command("bench/soak.py")
    if courtside is None:
        return 2
    os.sched_setaffinity(0, {LOAD_CORE})
    # Killed (a timeout, a ^C): still stop the server and its PostgreSQL on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    started_at = datetime.datetime.now(datetime.UTC)
    report: dict = {
        "benchmark": "soak", "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(), "revision": git_revision(Path(__file__).resolve().parent.parent),
        "command": shlex.join([sys.executable, *sys.argv]),
        "settings": {"minutes": args.minutes, "period_seconds": args.period, "matches": args.matches,
                     "miss": args.miss, "chat_groups": args.chat_groups,
                     "chat_members": args.chat_members, "chat_rate": args.chat_rate,
                     "rest_rate": args.rest_rate, "rest_threads": args.rest_threads,
                     "rest_users": args.rest_users, "rest_mix": [path for _, path in REST_MIX],
                     "kill_actors_minute": args.kill_actors, "kill_seed": args.kill_seed},
        "targets": {"rss_growth_percent": 100 * RSS_GROWTH_TARGET, "flat_ratio": FLAT_RATIO,
                    "flat_slack_ms": FLAT_SLACK_MS},
        "periods": [], "samples": [],
    }
    # 127.0.0.1 holds every socket: two per match, the chat members', REST's.
    sockets = 2 * args.matches + args.chat_groups * args.chat_members + args.rest_threads + 16
    with tempfile.TemporaryDirectory(prefix="courtside-soak-") as work:
        per_ip = 2 * sockets if sockets > 400 else None
        server = (Courtside(Path(work), str(courtside), connections_per_ip=per_ip) if args.kill_actors is None
                  else FaultyCourtside(Path(work), str(courtside), args.kill_seed, connections_per_ip=per_ip))
        # Production's seat and ready timeouts: players here connect as soon as they are paired.
        server.env = {name: value for name, value in server.env.items()
                      if name not in ("COURTSIDE_READY_TIMEOUT_SECONDS", "COURTSIDE_SEAT_TIMEOUT_SECONDS")}
        report["server_command"] = shlex.join(server.command)
        report["server_env"] = server.env
        sampler = None
        try:
            log(f"starting {shlex.join(server.command)}")
            server.start()
            sampler = Sampler(server, None)
            soak(server, sampler, args, report)
        except (ServerFailed, TimeoutError) as error:
            print(f"bench/soak.py: {error}\n--- server log ---\n{server.log_tail()}", file=sys.stderr)
            return 1
        finally:
            report["server_exit_status"] = server.stop()
            # Its warnings (loop stalls name the task that held the loop), before the dir goes.
            report["server_log_warnings"] = [line for line in server.log_tail(10_000).splitlines()
                                             if " WARNING " in line or " ERROR " in line][-50:]
            report["postgres_left_running"] = sampler.postgres_left() if sampler else None
            server.cleanup()
    report["verdict"] = verdict(report["periods"], report.get("actor_kills"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print("per period: RSS and PostgreSQL PSS (MiB) at its end; fds at its end, net = less the game "
          "port's sockets; tick lateness (ms) over it, skips: tick deadlines the shard skipped (a whole tick behind); "
          "stall: the loop's longest step (ms); c0/c1 stall: the latest wake-up of each core's probe "
          "(ms; 0 = none over 50 ms); REST over "
          "it (ms), late = started 100 ms after due; started / ended matches, playing = mean of samples, "
          "rematch = s from a match's end to its players' next (p50); chat deliveries and p99 (ms); "
          "srv %, others %: CPU of the server and of processes not ours (100 = one core)")
    print_verdict(report["verdict"])
    if "actor_kills" in report:
        print_kills(report["actor_kills"])
    print(f"server exit {report['server_exit_status']}, PostgreSQL processes left "
          f"{report['postgres_left_running']}")
    plot(report, args.plot)
    print(f"figures written to {args.out}, plot to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
