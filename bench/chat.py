"""Chat throughput and delivery latency: one group of 100 members, and 1,000 dialogues.

The server (bench/chat_server.py: a real node, its embedded PostgreSQL its child)
runs under ``taskset -c 0``; this process, the load client, pins itself to core 1.
Every member holds a ``/ws/`` user socket (``--transport ws``: on the game port, as
``GET /api/live/`` advertises and the SDK uses; ``ws-http``: the HTTP port's, the
only one before issue 20), a raw non-blocking socket on one epoll
(no task or coroutine per message, so the client's core is not what delivery
waits for), subscribed once its ``ping`` is answered.

A scenario offers messages at a fixed rate, step by step, for STEP_SECONDS each:
``send_message`` over the senders' sockets, spread evenly in time, senders in
turn (the group: each member in turn; dialogues: each dialogue in turn, its two
people alternating). A message's delivery latency, per recipient other than its
sender, is the time from handing its frame to the kernel to reading its
``receive-message`` frame, both on this process's clock. After a step, up to
DRAIN_SECONDS more for deliveries still on their way. A step holds when every
message was acked (none refused), every delivery arrived, and p99 latency is
at most HOLD_P99_SECONDS; a scenario's figure is its last holding step, and its
ramp stops at the first step that does not hold. On a shared machine, each step
first waits for a quiet second (others at most QUIET_PERCENT of a core), and a
failing step measured while others used more is measured again (RETRIES).

Per step: offered and achieved messages/s (acked in the step's sending time),
deliveries arrived against expected, latency p50/p99/max, CPU of the server, of
its PostgreSQL processes and of this client (CPU time / wall time, 100 = one
core). The group's senders stay within the room's per-member send rate (5/s,
burst 20) up to 500 messages/s; past that the room refuses by design, so the
group's ramp ends there.

    .venv/bin/python bench/chat.py [--seconds 5] [--transport ws|ws-http] [--scenarios group,dialogues]
        [--out bench/chat.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import msgspec
import psutil

from client_frames import masked_frame, take_server_frames, upgrade_request

SERVER_CORE, CLIENT_CORE = 0, 1
STEP_SECONDS = 5.0
DRAIN_SECONDS = 2.0
HOLD_P99_SECONDS = 0.2
# A shared machine: other people's work comes and goes. Before a step, wait (at
# most QUIET_WAIT_SECONDS) for a second in which it uses at most QUIET_PERCENT of a
# core; a failing step measured while it used more is measured again, up to RETRIES times.
QUIET_PERCENT = 10.0
QUIET_WAIT_SECONDS = 60.0
RETRIES = 2
GROUP_RATES = (25, 50, 60, 70, 80, 90, 100, 125, 150, 200, 300, 400, 500)
DIALOGUE_RATES = (100, 200, 300, 400, 450, 500, 550, 600, 800, 1000, 1500, 2000)
PING = masked_frame(b'{"type":"ping"}')
HERE = Path(__file__).resolve().parent


class Data(msgspec.Struct):
    content: str = ""


class Incoming(msgspec.Struct):
    type: str
    data: Data | None = None
    code: str | None = None
    client_id: str = ""


decode_incoming = msgspec.json.Decoder(Incoming).decode


@dataclass(eq=False)
class Conn:
    user_id: int
    sock: socket.socket
    inbox: bytearray = field(default_factory=bytearray)


@dataclass
class Step:
    scenario: str
    offered_per_second: int
    sent: int = 0
    acked: int = 0
    refused: int = 0
    refusal_codes: dict[str, int] = field(default_factory=dict)
    expected_deliveries: int = 0
    deliveries: int = 0
    achieved_per_second: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    started_at: float = 0.0  # time.time(), to place the server's collections
    ended_at: float = 0.0
    gc_pauses_ms: dict[str, list[float]] = field(default_factory=dict)  # per generation
    server_cpu_percent: float = 0.0
    postgres_cpu_percent: float = 0.0
    client_cpu_percent: float = 0.0
    foreign_cpu_percent: float = 0.0

    @property
    def holds(self) -> bool:
        return (self.refused == 0 and self.acked == self.sent
                and self.deliveries == self.expected_deliveries
                and self.latency_ms.get("p99", float("inf")) <= HOLD_P99_SECONDS * 1000)


class LoadClient:
    """Every member's socket on one epoll; counts what arrives for the running step."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.selector = selectors.DefaultSelector()
        self.pongs = 0
        self.sent_at: dict[int, float] = {}
        self.sender_of: dict[int, int] = {}
        self.latencies: list[float] = []
        self.deliveries = 0
        self.acked = 0
        self.refusals: dict[str, int] = {}
        self.first_of_step = 0  # messages numbered below belong to earlier steps
        self.frames_read = 0
        self._next_message = 0

    def connect(self, user_id: int, token: str) -> Conn:
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        request = upgrade_request("127.0.0.1", self.port, "/ws/")
        sock.sendall(request.replace(b"\r\n\r\n", f"\r\nCookie: access={token}\r\n\r\n".encode()))
        response = b""
        while b"\r\n\r\n" not in response:
            response += sock.recv(4096)
        head, _, rest = response.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"user {user_id}: {head.decode(errors='replace')}")
        sock.setblocking(False)
        conn = Conn(user_id, sock, bytearray(rest))
        self.selector.register(sock, selectors.EVENT_READ, conn)
        return conn

    def subscribe(self, conns: list[Conn]) -> None:
        """Ping every socket and wait for every pong: the hub has each connection then."""
        self.pongs = 0
        for conn in conns:
            conn.sock.sendall(PING)
        deadline = time.perf_counter() + 60
        while self.pongs < len(conns):
            if time.perf_counter() > deadline:
                raise RuntimeError(f"only {self.pongs} of {len(conns)} sockets subscribed")
            self.poll(0.1)

    def send(self, conn: Conn, chat_id: int) -> None:
        number = self._next_message
        self._next_message += 1
        frame = masked_frame(
            b'{"type":"send_message","chat_id":%d,"content":"m%d","client_id":"%d"}'
            % (chat_id, number, number)
        )
        self.sender_of[number] = conn.user_id
        self.sent_at[number] = time.perf_counter()
        # A frame of ~90 bytes: the kernel takes it at once, unless the server has
        # stopped reading, which the timeout turns into an error rather than a hang.
        conn.sock.settimeout(5.0)
        conn.sock.sendall(frame)
        conn.sock.setblocking(False)

    def poll(self, timeout: float) -> None:
        for key, _ in self.selector.select(max(0.0, timeout)):
            conn: Conn = key.data
            try:
                chunk = conn.sock.recv(262_144)
            except BlockingIOError:
                continue
            if not chunk:
                raise RuntimeError(f"user {conn.user_id}: the server closed the socket")
            conn.inbox += chunk
            self._frames(conn)

    def _frames(self, conn: Conn) -> None:
        now = time.perf_counter()
        for opcode, payload in take_server_frames(conn.inbox):
            if opcode == 0x8:
                raise RuntimeError(f"user {conn.user_id}: closed by the server")
            self._message(conn, payload, now)

    def _message(self, conn: Conn, payload: bytes, now: float) -> None:
        self.frames_read += 1
        if payload.startswith(b'{"type":"receive-message"'):
            number = int(decode_incoming(payload).data.content[1:])  # type: ignore[union-attr]
            if number >= self.first_of_step and self.sender_of[number] != conn.user_id:
                self.deliveries += 1
                self.latencies.append(now - self.sent_at[number])
        elif payload.startswith(b'{"type":"message_sent"'):
            if int(decode_incoming(payload).client_id) >= self.first_of_step:
                self.acked += 1
        elif payload.startswith(b'{"type":"message_refused"'):
            refusal = decode_incoming(payload)
            if int(refusal.client_id) >= self.first_of_step:
                code = refusal.code or "?"
                self.refusals[code] = self.refusals.get(code, 0) + 1
        elif payload.startswith(b'{"type":"pong"'):
            self.pongs += 1

    def new_step(self) -> None:
        self.latencies, self.deliveries, self.acked, self.refusals = [], 0, 0, {}
        self.first_of_step = self._next_message

    def wait_until_quiet(self, quiet: float = 1.0, most: float = 60.0) -> None:
        """Read until no frame has come for ``quiet`` seconds: earlier steps are done."""
        deadline = time.perf_counter() + most
        while time.perf_counter() < deadline:
            before = self.frames_read
            self.poll(quiet)
            if self.frames_read == before:
                return


class CpuMeter:
    """CPU time of the server, of its PostgreSQL processes, of this client, and of
    everyone else on the machine (other people's work on a shared machine)."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)

    def _sample(self) -> tuple[float, float, float, float, float]:
        times = self.server.cpu_times()
        postgres = 0.0
        for child in self.server.children(recursive=True):
            try:
                child_times = child.cpu_times()
            except psutil.NoSuchProcess:
                continue
            postgres += child_times.user + child_times.system
        machine = psutil.cpu_times()
        busy = machine.user + machine.nice + machine.system + machine.irq + machine.softirq
        return (time.perf_counter(), times.user + times.system, postgres, time.process_time(),
                busy)

    def __enter__(self) -> CpuMeter:
        self._before = self._sample()
        return self

    def __exit__(self, *exc_info: object) -> None:
        after = self._sample()
        wall = after[0] - self._before[0]
        self.server_percent, self.postgres_percent, self.client_percent, busy = (
            100 * (after[i] - self._before[i]) / wall for i in (1, 2, 3, 4)
        )
        self.foreign_percent = max(
            0.0, busy - self.server_percent - self.postgres_percent - self.client_percent
        )


def run_step(client: LoadClient, cpu: CpuMeter, scenario: str, rate: int,
             senders: list[tuple[Conn, int]], recipients: int, seconds: float) -> Step:
    """Offer ``rate`` messages/s for ``seconds``; ``recipients``: members besides the sender."""
    step = Step(scenario, rate)
    client.wait_until_quiet()
    client.new_step()
    count = int(rate * seconds)
    step.started_at = time.time()
    with cpu:
        began = time.perf_counter()
        for n in range(count):
            due = began + n / rate
            while (now := time.perf_counter()) < due:
                client.poll(due - now)
            conn, chat_id = senders[n % len(senders)]
            client.send(conn, chat_id)
        sending = time.perf_counter() - began
        step.expected_deliveries = count * recipients
        deadline = time.perf_counter() + DRAIN_SECONDS
        while (client.deliveries < step.expected_deliveries
               or client.acked + sum(client.refusals.values()) < count) \
                and time.perf_counter() < deadline:
            client.poll(0.05)
    step.ended_at = time.time()
    step.sent, step.acked, step.deliveries = count, client.acked, client.deliveries
    step.refused, step.refusal_codes = sum(client.refusals.values()), dict(client.refusals)
    step.achieved_per_second = round(step.acked / max(sending, 1e-9), 1)
    if client.latencies:
        ordered = sorted(client.latencies)
        step.latency_ms = {
            "p50": round(1000 * statistics.median(ordered), 2),
            "p99": round(1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2),
            "max": round(1000 * ordered[-1], 2),
        }
    step.server_cpu_percent = round(cpu.server_percent, 1)
    step.postgres_cpu_percent = round(cpu.postgres_percent, 1)
    step.client_cpu_percent = round(cpu.client_percent, 1)
    step.foreign_cpu_percent = round(cpu.foreign_percent, 1)
    return step


def wait_for_quiet(client: LoadClient, cpu: CpuMeter) -> bool:
    """Until others use at most QUIET_PERCENT of a core for a second; False if never."""
    deadline = time.perf_counter() + QUIET_WAIT_SECONDS
    while time.perf_counter() < deadline:
        with cpu:
            client.poll(1.0)
        if cpu.foreign_percent <= QUIET_PERCENT:
            return True
    return False


def ramp(client: LoadClient, cpu: CpuMeter, scenario: str, rates: tuple[int, ...],
         senders: list[tuple[Conn, int]], recipients: int, seconds: float) -> list[Step]:
    steps = []
    for rate in rates:
        for _ in range(1 + RETRIES):
            client.wait_until_quiet()
            wait_for_quiet(client, cpu)
            step = run_step(client, cpu, scenario, rate, senders, recipients, seconds)
            steps.append(step)
            print_step(step)
            if step.holds or step.foreign_cpu_percent <= QUIET_PERCENT:
                break
        if not step.holds:
            break
    return steps


def print_step(step: Step) -> None:
    latency = step.latency_ms
    print(f"{step.scenario:9} {step.offered_per_second:5d}/s -> {step.achieved_per_second:7.1f}/s"
          f"  acked {step.acked}/{step.sent} refused {step.refused}"
          f"  delivered {step.deliveries}/{step.expected_deliveries}"
          f"  p50 {latency.get('p50', '-')} p99 {latency.get('p99', '-')}"
          f" max {latency.get('max', '-')} ms"
          f"  cpu server {step.server_cpu_percent} pg {step.postgres_cpu_percent}"
          f" client {step.client_cpu_percent} others {step.foreign_cpu_percent}"
          f"  {'holds' if step.holds else 'FAILS'}", flush=True)


def place_collections(steps: list[Step], records: list[list[float]]) -> None:
    """Put each of the server's collections of 10 ms or more in the step it fell in."""
    for step in steps:
        for began, generation, seconds in records:
            if step.started_at <= began <= step.ended_at and seconds >= 0.01:
                step.gc_pauses_ms.setdefault(f"gen{int(generation)}", []).append(
                    round(1000 * seconds, 1))


def as_json(step: Step) -> dict:
    return {**asdict(step), "holds": step.holds}


def capacity(steps: list[Step]) -> dict | None:
    """The holding step of the highest rate (every measurement is kept in the JSON)."""
    holding = [step for step in steps if step.holds]
    return None if not holding else as_json(max(holding, key=lambda s: s.offered_per_second))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=STEP_SECONDS)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--dialogues", type=int, default=1000)
    parser.add_argument("--transport", choices=("ws", "ws-http"), default="ws",
                        help="/ws/ on the game port (ws) or on the HTTP port (ws-http)")
    parser.add_argument("--scenarios", default="group,dialogues", help="which ramps (group,dialogues)")
    parser.add_argument("--out", type=Path, default=HERE / "chat.json")
    args = parser.parse_args()
    scenarios = set(args.scenarios.split(","))
    if len(os.sched_getaffinity(0)) < 2:
        print("needs two cores: the server on one, this client on the other", file=sys.stderr)
        return 2
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    os.sched_setaffinity(0, {CLIENT_CORE})
    gc_log = args.out.with_suffix(".gc.json")
    server = subprocess.Popen(
        ["taskset", "-c", str(SERVER_CORE), sys.executable, str(HERE / "chat_server.py"),
         "--members", str(args.members), "--dialogues", str(args.dialogues),
         "--gc-log", str(gc_log)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        setup = json.loads(server.stdout.readline())
        client = LoadClient(setup["game_port"] if args.transport == "ws" else setup["port"])
        group = setup["group"]
        members = [client.connect(user_id, token) for user_id, token in group["users"]]
        pairs = [(dialogue["chat_id"], [client.connect(u, t) for u, t in dialogue["users"]])
                 for dialogue in setup["dialogues"]]
        everyone = members + [conn for _, conns in pairs for conn in conns]
        client.subscribe(everyone)
        print(f"{len(everyone)} sockets subscribed", flush=True)
        cpu = CpuMeter(setup["pid"])
        gc.disable()  # the client's collections would show up as latency
        group_senders = [(conn, group["chat_id"]) for conn in members]
        dialogue_senders = [(conns[side], chat_id) for side in (0, 1) for chat_id, conns in pairs]
        # Warm-up: every room started and every code path run once, not measured.
        run_step(client, cpu, "warm-up", 20, group_senders, len(members) - 1, 1.0)
        run_step(client, cpu, "warm-up", len(pairs), dialogue_senders, 1, 1.0)
        group_steps = ramp(client, cpu, "group", GROUP_RATES, group_senders,
                           len(members) - 1, args.seconds) if "group" in scenarios else []
        dialogue_steps = ramp(client, cpu, "dialogues", DIALOGUE_RATES, dialogue_senders,
                              1, args.seconds) if "dialogues" in scenarios else []
    finally:
        if server.stdin is not None:
            server.stdin.close()
        exit_status = server.wait(timeout=60)
    place_collections(group_steps + dialogue_steps, json.loads(gc_log.read_text()))
    gc_log.unlink()
    for step in group_steps + dialogue_steps:
        print(f"{step.scenario:9} {step.offered_per_second:5d}/s  server collections >= 10 ms:"
              f" {step.gc_pauses_ms or 'none'}")
    results = {
        "members": args.members, "dialogues": args.dialogues, "step_seconds": args.seconds,
        "transport": args.transport,
        "hold_p99_seconds": HOLD_P99_SECONDS, "server_exit_status": exit_status,
        "group": {"capacity": capacity(group_steps), "steps": [as_json(s) for s in group_steps]},
        "dialogues_ramp": {"capacity": capacity(dialogue_steps),
                           "steps": [as_json(s) for s in dialogue_steps]},
    }
    args.out.write_text(json.dumps(results, indent=2))
    for name, steps in (("group", group_steps), ("dialogues", dialogue_steps)):
        best = capacity(steps)
        print(f"{name}: " + ("no step held" if best is None else
                             f"{best['achieved_per_second']} messages/s,"
                             f" latency {best['latency_ms']}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
