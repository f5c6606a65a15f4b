"""Accounts benchmark: guest creation, login and GET /api/users/me/ against one server.

One ``courtside serve`` runs pinned to core 0 with a fresh data dir; its embedded
PostgreSQL is its child and inherits the pin, so every figure is "server plus
database on one core". wrk runs pinned to core 1. Only loopback traffic.

    .venv/bin/python bench/auth.py [--seconds 10] [--connections 32] [--out bench/auth.json]
        [--workers N] [--scenarios guest,login,me,healthz]

``--workers N`` serves with ``courtside serve --workers N`` (N nodes sharing the
HTTP port): one worker stays pinned to core 0, more run on every core and share
core 1 with wrk, so each scenario also reports req/s per busy server core (server,
workers and PostgreSQL).

Exit status: 0 when every run finished clean (figures below target are reported,
not fatal); 1 when a run saw non-2xx responses or socket errors, or the server failed
to start or stop cleanly; 2 when a tool is missing.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from harness import EmbeddedPostgres, ServerFailed, git_revision, is_worker, machine, server_cores

SERVER_CORE = 0
LOAD_CORE = 1
WARMUP_SECONDS = 2
START_TIMEOUT = 180.0
STOP_TIMEOUT = 60.0
SAMPLE_INTERVAL = 0.5

USERNAME = "benchuser"
PASSWORD = "bench-pass-42"

SERVER_ENV = {
    "COURTSIDE_LOG_LEVEL": "WARNING",
    # The bench measures the server, not the throttle: wrk's guests and logins come
    # from one address, and one user's failed logins would lock it.
    "COURTSIDE_THROTTLE_EXEMPT_ADDRESSES": "127.0.0.1",
    "COURTSIDE_FAILED_LOGINS_PER_USERNAME": "1000000",
    "COURTSIDE_FAILED_LOGINS_PER_IP": "1000000",
}

# Minimum req/s we aim for; printed beside the figures, never fatal.
TARGETS = {"guest": 500.0, "me": 2000.0}

# Counts every non-2xx response per status and prints one machine-readable summary.
LUA_COUNTERS = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
  statuses = {}
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    local code = tostring(status)
    statuses[code] = (statuses[code] or 0) + 1
  end
end

function done(summary, latency, requests)
  local total, by_status = 0, {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("non2xx")
    for code, count in pairs(thread:get("statuses")) do
      by_status[code] = (by_status[code] or 0) + count
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d "
      .. "p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%d\\n",
    summary.requests, summary.duration, total, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
  for code, count in pairs(by_status) do
    io.write(string.format("BENCH status %s %d\\n", code, count))
  end
end
"""


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    method: str
    path: str
    expected_status: int
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def lua(self) -> str:
        # json.dumps yields a double-quoted string with escapes Lua reads the same way.
        lines = [f"wrk.method = {json.dumps(self.method)}"]
        if self.body is not None:
            lines.append(f"wrk.body = {json.dumps(self.body)}")
        for name, value in self.headers.items():
            lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
        return "\n".join(lines) + "\n" + LUA_COUNTERS


@dataclass(slots=True)
class RunResult:
    scenario: str
    command: str
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    non_2xx: int
    non_2xx_by_status: dict[str, int]
    socket_errors: dict[str, int]
    server_cpu_percent: float
    postgres_cpu_percent: float
    postgres_processes: int
    core_busy_percent: dict[str, float]
    server_rss_mib_peak: float
    postgres_rss_mib_peak: float
    postgres_pss_mib: float | None
    target_requests_per_second: float | None
    requests_per_busy_server_core: float | None

    @property
    def clean(self) -> bool:
        return self.non_2xx == 0 and not any(self.socket_errors.values())


class ServerUnderTest:
    """One pinned ``courtside serve`` with a throwaway data dir."""

    def __init__(self, courtside: Path, work_dir: Path, workers: int | None) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="courtside-bench-data-"))
        # As root the embedded PostgreSQL runs as another account that must traverse it.
        self.data_dir.chmod(0o755)
        self.port = _free_loopback_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = work_dir / "server.log"
        self.command = [
            "taskset", "-c", server_cores(workers, SERVER_CORE),
            str(courtside), "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
        ]
        self.workers = workers
        if workers is not None:
            self.command += ["--workers", str(workers), "--game-port", str(_free_loopback_port())]
        self._popen: subprocess.Popen[bytes] | None = None
        self.process: psutil.Process | None = None
        self._postgres = EmbeddedPostgres()

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self._popen = subprocess.Popen(
                self.command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **SERVER_ENV}
            )
        # taskset execs the server, so the PID is the server's own.
        self.process = psutil.Process(self._popen.pid)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._popen.poll() is not None:
                raise ServerFailed(f"server exited with {self._popen.returncode} during start-up")
            try:
                status, body = http_request(self.base_url + "/readyz", timeout=2)
                if status == 200 and len(body.get("nodes", ())) >= (self.workers or 1):
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise ServerFailed(f"/readyz did not list every node within {START_TIMEOUT:.0f}s")

    def server_processes(self) -> list[psutil.Process]:
        """The server (with workers: the parent and each worker)."""
        assert self.process is not None
        return [self.process, *(child for child in self._postgres.under(self.process) if is_worker(child))]

    def postgres_processes(self) -> list[psutil.Process]:
        assert self.process is not None
        return [child for child in self._postgres.under(self.process) if not is_worker(child)]

    def stop(self) -> int:
        """SIGTERM, wait, and return the exit status (killed after STOP_TIMEOUT)."""
        if self._popen is None:
            return 0
        self.postgres_processes()
        if self._popen.poll() is None:
            self._popen.send_signal(signal.SIGTERM)
            try:
                self._popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait()
                raise ServerFailed(f"server did not exit within {STOP_TIMEOUT:.0f}s of SIGTERM") from None
        return self._popen.returncode

    def leftover_postgres(self) -> list[int]:
        return self._postgres.still_running()

    def end_leftover_postgres(self) -> None:
        """Only after a failed stop: PostgreSQL runs in its own session and would outlive us."""
        self._postgres.terminate()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def remove_data_dir(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


class ResourceSampler:
    """CPU time and memory of the server and its PostgreSQL children over one run.

    CPU% is CPU time over wall time, 100 = one core busy. Processes are sampled
    every SAMPLE_INTERVAL so a backend that appears mid-run is still counted.
    """

    def __init__(self, server: ServerUnderTest) -> None:
        self._server = server
        self._cpu_first: dict[int, float] = {}
        self._cpu_last: dict[int, float] = {}
        self._server_pids: set[int] = set()
        self._server_rss_peak = 0
        self._postgres_rss_peak = 0
        self._postgres_count = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> ResourceSampler:
        self._sample(first=True)
        self._started = time.monotonic()
        self._cores_before = psutil.cpu_times(percpu=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample(first=False)
        self._wall = time.monotonic() - self._started
        self._cores_after = psutil.cpu_times(percpu=True)

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL):
            self._sample(first=False)

    def _sample(self, *, first: bool) -> None:
        serving = self._server.server_processes()
        self._server_pids.update(proc.pid for proc in serving)
        postgres = self._server.postgres_processes()
        server_rss = postgres_rss = 0
        for proc in [*serving, *postgres]:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    rss = proc.memory_info().rss
            except psutil.NoSuchProcess:
                continue
            cpu = times.user + times.system
            if first:
                self._cpu_first[proc.pid] = cpu
            else:
                # A process first seen mid-run contributes all its CPU time so far.
                self._cpu_first.setdefault(proc.pid, 0.0)
            self._cpu_last[proc.pid] = cpu
            if proc.pid in self._server_pids:
                server_rss += rss
            else:
                postgres_rss += rss
        self._server_rss_peak = max(self._server_rss_peak, server_rss)
        self._postgres_rss_peak = max(self._postgres_rss_peak, postgres_rss)
        self._postgres_count = max(self._postgres_count, len(postgres))

    def _cpu_percent(self, server: bool) -> float:
        spent = sum(self._cpu_last[p] - self._cpu_first[p] for p in self._cpu_last
                    if (p in self._server_pids) == server)
        return 100.0 * spent / self._wall

    def server_cpu_percent(self) -> float:
        return self._cpu_percent(server=True)

    def postgres_cpu_percent(self) -> float:
        return self._cpu_percent(server=False)

    def core_busy_percent(self) -> dict[str, float]:
        """Per core, busy (steal included) and, on a VM, time the hypervisor took away."""
        busy = {}
        for core, (before, after) in enumerate(zip(self._cores_before, self._cores_after)):
            total = sum(after) - sum(before)
            idle = (after.idle + after.iowait) - (before.idle + before.iowait)
            steal = getattr(after, "steal", 0.0) - getattr(before, "steal", 0.0)
            busy[f"core{core}"] = round(100.0 * (total - idle) / total, 1) if total else 0.0
            busy[f"core{core}_steal"] = round(100.0 * steal / total, 1) if total else 0.0
        return busy

    def postgres_pss_mib(self) -> float | None:
        """Proportional set size: shared buffers counted once, not once per backend."""
        try:
            return sum(p.memory_full_info().pss for p in self._server.postgres_processes()) / 2**20
        except (psutil.AccessDenied, psutil.NoSuchProcess, AttributeError):
            return None

    @property
    def server_rss_mib_peak(self) -> float:
        return self._server_rss_peak / 2**20

    @property
    def postgres_rss_mib_peak(self) -> float:
        return self._postgres_rss_peak / 2**20

    @property
    def postgres_count(self) -> int:
        return self._postgres_count


def http_request(
    url: str, *, method: str = "GET", body: dict | None = None, timeout: float = 30
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw.startswith(b"{") else {"body": raw.decode()}


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_wrk(
    scenario: Scenario, url: str, script: Path, *, seconds: int, connections: int, timeout_s: int
) -> tuple[str, dict[str, int], dict[str, int]]:
    """One wrk run; the command line, its summary figures and its non-2xx statuses."""
    command = [
        "taskset", "-c", str(LOAD_CORE),
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", f"--timeout={timeout_s}s",
        "--latency", "-s", str(script), url + scenario.path,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout_s + 30)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr.strip()}")
    summary: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for line in finished.stdout.splitlines():
        if line.startswith("BENCH status "):
            _, _, code, count = line.split()
            statuses[code] = int(count)
        elif line.startswith("BENCH "):
            summary = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", line)}
    if not summary:
        raise RuntimeError(f"wrk printed no summary:\n{finished.stdout}")
    return shlex.join(command), summary, statuses


def measure(
    server: ServerUnderTest, scenario: Scenario, script: Path, args: argparse.Namespace
) -> RunResult:
    run_wrk(scenario, server.base_url, script, seconds=WARMUP_SECONDS,
            connections=args.connections, timeout_s=args.timeout)
    with ResourceSampler(server) as sampler:
        command, summary, statuses = run_wrk(
            scenario, server.base_url, script, seconds=args.seconds,
            connections=args.connections, timeout_s=args.timeout,
        )
    seconds = summary["duration_us"] / 1e6
    return RunResult(
        scenario=scenario.name,
        command=command,
        requests=summary["requests"],
        seconds=round(seconds, 3),
        requests_per_second=round(summary["requests"] / seconds, 1),
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        mean_ms=summary["mean_us"] / 1000,
        non_2xx=summary["non2xx"],
        non_2xx_by_status=statuses,
        socket_errors={kind: summary[kind] for kind in ("connect", "read", "write", "timeout")},
        server_cpu_percent=round(sampler.server_cpu_percent(), 1),
        postgres_cpu_percent=round(sampler.postgres_cpu_percent(), 1),
        postgres_processes=sampler.postgres_count,
        core_busy_percent=sampler.core_busy_percent(),
        server_rss_mib_peak=round(sampler.server_rss_mib_peak, 1),
        postgres_rss_mib_peak=round(sampler.postgres_rss_mib_peak, 1),
        postgres_pss_mib=_rounded(sampler.postgres_pss_mib()),
        target_requests_per_second=TARGETS.get(scenario.name),
        requests_per_busy_server_core=_per_core(summary["requests"] / seconds, sampler),
    )


def _per_core(requests_per_second: float, sampler: ResourceSampler) -> float | None:
    """req/s per core the server, its workers and PostgreSQL kept busy."""
    busy = (sampler.server_cpu_percent() + sampler.postgres_cpu_percent()) / 100
    return round(requests_per_second / busy, 1) if busy else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def profile_me(
    server: ServerUnderTest, scenario: Scenario, script: Path, args: argparse.Namespace
) -> str:
    """py-spy over one extra GET me run; its figures are not reported (py-spy slows it)."""
    assert server.process is not None
    command = [
        "taskset", "-c", str(LOAD_CORE), str(_py_spy()), "record", "-p", str(server.process.pid),
        "-d", str(args.seconds), "--format", "speedscope", "-o", str(args.profile),
    ]
    recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        run_wrk(scenario, server.base_url, script, seconds=args.seconds,
                connections=args.connections, timeout_s=args.timeout)
        _, errors = recorder.communicate(timeout=args.seconds + 60)
    finally:
        if recorder.poll() is None:
            recorder.kill()
            recorder.wait()
    if recorder.returncode != 0:
        raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace').strip()}")
    return shlex.join(command)


def _py_spy() -> str | None:
    beside_python = Path(sys.executable).with_name("py-spy")
    return str(beside_python) if beside_python.exists() else shutil.which("py-spy")


def print_table(results: list[RunResult]) -> None:
    header = (f"{'scenario':<8} {'req/s':>9} {'target':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'non-2xx':>8} {'sock err':>8} {'server %':>8} {'pg %':>6} {'core0 %':>7} "
              f"{'srv RSS':>8} {'req/s/core':>10}")
    print(header)
    print("-" * len(header))
    for result in results:
        target = result.target_requests_per_second
        if target is None:
            verdict = "-"
        else:
            verdict = f"{'>=' if result.requests_per_second >= target else '<'}{target:,.0f}"
        print(
            f"{result.scenario:<8} {result.requests_per_second:>9,.1f} {verdict:>8} "
            f"{result.p50_ms:>8.1f} {result.p99_ms:>8.1f} {result.non_2xx:>8} "
            f"{sum(result.socket_errors.values()):>8} {result.server_cpu_percent:>8.1f} "
            f"{result.postgres_cpu_percent:>6.1f} {result.core_busy_percent.get('core0', 0):>7.1f} "
            f"{result.server_rss_mib_peak:>6.0f}Mi {result.requests_per_busy_server_core or 0:>10,.1f}"
        )
    for result in results:
        if not result.clean:
            print(f"!! {result.scenario}: {result.non_2xx} non-2xx responses "
                  f"{result.non_2xx_by_status or ''}, socket errors {result.socket_errors}")
    print("server %, pg %: CPU time / wall time (100 = one core; with workers, all of them); "
          "req/s/core: req/s over the cores server and PostgreSQL kept busy.")


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured run length (default 10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--out", type=Path, default=Path("bench/auth.json"), help="JSON figures")
    parser.add_argument("--timeout", type=int, default=10,
                        help="wrk per-request timeout in seconds (default 10; login queues behind argon2)")
    parser.add_argument("--workers", type=int, help="serve with `courtside serve --workers N`")
    parser.add_argument("--scenarios", default="guest,login,me,healthz",
                        help="which to run, in order (guest,login,me,healthz)")
    parser.add_argument("--profile", type=Path,
                        help="also record py-spy (speedscope) over an extra, unreported GET me run")
    return parser.parse_args()


def main() -> int:
    args = _parse_args()
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        package = "wrk" if "wrk" in missing else "util-linux"
        print(f"bench/auth.py: {', '.join(missing)} not found; install it with "
              f"`apt-get install -y {package}`", file=sys.stderr)
        return 2
    if args.profile and _py_spy() is None:
        print("bench/auth.py: py-spy not found; `.venv/bin/pip install py-spy`", file=sys.stderr)
        return 2
    available = os.sched_getaffinity(0)
    if not {SERVER_CORE, LOAD_CORE} <= available:
        print(f"bench/auth.py: needs cores {SERVER_CORE} and {LOAD_CORE}, have {sorted(available)}",
              file=sys.stderr)
        return 2
    courtside = Path(sys.executable).with_name("courtside")
    if not courtside.exists():
        found = shutil.which("courtside")
        if found is None:
            print("bench/auth.py: `courtside` not found next to this Python; run it with "
                  ".venv/bin/python", file=sys.stderr)
            return 2
        courtside = Path(found)
    # Keep this script (sampler, py-spy) off the server's core.
    os.sched_setaffinity(0, {LOAD_CORE})

    started_at = datetime.datetime.now(datetime.UTC)
    results: list[RunResult] = []
    profile_command = None
    with tempfile.TemporaryDirectory(prefix="courtside-bench-") as work:
        work_dir = Path(work)
        server = ServerUnderTest(courtside, work_dir, args.workers)
        try:
            print(f"starting {shlex.join(server.command)}", flush=True)
            server.start()
            postgres_affinity = sorted({
                core for proc in server.postgres_processes() for core in proc.cpu_affinity()
            })
            status, tokens = http_request(server.base_url + "/api/auth/register/", method="POST",
                                          body={"username": USERNAME, "password": PASSWORD})
            if status != 201:
                raise ServerFailed(f"registering {USERNAME} answered {status}: {tokens}")
            credentials = json.dumps({"username": USERNAME, "password": PASSWORD})
            scenarios = [
                Scenario("guest", "POST", "/api/auth/guest/", 201),
                Scenario("login", "POST", "/api/auth/login/", 200, body=credentials,
                         headers={"Content-Type": "application/json"}),
                Scenario("me", "GET", "/api/users/me/", 200,
                         headers={"Authorization": f"Bearer {tokens['access']}"}),
                # The stack's own ceiling: no auth, no database, a constant body.
                Scenario("healthz", "GET", "/healthz", 200),
            ]
            chosen = args.scenarios.split(",")
            for scenario in sorted((s for s in scenarios if s.name in chosen),
                                   key=lambda s: chosen.index(s.name)):
                script = work_dir / f"{scenario.name}.lua"
                script.write_text(scenario.lua())
                print(f"{scenario.name}: {WARMUP_SECONDS}s warm-up, {args.seconds}s measured, "
                      f"{args.connections} connections", flush=True)
                results.append(measure(server, scenario, script, args))
                if server.process is None or not server.process.is_running():
                    raise ServerFailed(f"server died during {scenario.name}")
            if args.profile:
                print(f"me: {args.seconds}s under py-spy -> {args.profile}", flush=True)
                me = next(scenario for scenario in scenarios if scenario.name == "me")
                profile_command = profile_me(server, me, work_dir / "me.lua", args)
            exit_status = server.stop()
            time.sleep(0.5)
            leftover = server.leftover_postgres()
            server_log_tail = server.log_tail() if exit_status != 0 else ""
        except (ServerFailed, RuntimeError, subprocess.TimeoutExpired) as error:
            print(f"bench/auth.py: {error}\n--- server log (tail) ---\n{server.log_tail()}",
                  file=sys.stderr)
            return 1
        finally:
            # Whatever happened, leave no server, database or data dir behind.
            try:
                server.stop()
            except ServerFailed:
                pass
            server.end_leftover_postgres()
            server.remove_data_dir()

    print()
    print_table(results)
    print(f"server on cores {server.command[2]} ({args.workers or 'no'} workers); PostgreSQL processes "
          f"pinned to {postgres_affinity} (children of the server: the database shares its cores)")
    print(f"SIGTERM: server exited {exit_status}"
          + (f"; PostgreSQL processes left running: {leftover}" if leftover else ""))

    report = {
        "benchmark": "auth",
        "date": started_at.isoformat(timespec="seconds"),
        "machine": machine(),
        "revision": git_revision(Path(__file__).resolve().parent.parent),
        "command": shlex.join([sys.executable, *sys.argv]),
        "server_command": shlex.join(server.command),
        "server_env": SERVER_ENV,
        "server_cores": server.command[2],
        "workers": args.workers,
        "load_core": LOAD_CORE,
        "postgres_affinity": postgres_affinity,
        "warmup_seconds": WARMUP_SECONDS,
        "seconds": args.seconds,
        "connections": args.connections,
        "targets_requests_per_second": TARGETS,
        "scenarios": [asdict(result) for result in results],
        "profile": {"path": str(args.profile), "command": profile_command} if profile_command else None,
        "shutdown": {"signal": "SIGTERM", "exit_status": exit_status,
                     "postgres_left_running": leftover},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"figures written to {args.out}")
    if exit_status != 0 or leftover:
        print(f"bench/auth.py: server did not stop cleanly\n{server_log_tail}", file=sys.stderr)
        return 1
    if not all(result.clean for result in results):
        print("bench/auth.py: some runs had errors (marked !! above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
