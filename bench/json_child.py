"""A bench process spoken to in JSON lines: one command per line on its stdin, one event
per line on its stdout (``{"ev": ...}``), read by a thread into a queue."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path

import psutil

from harness import ServerFailed


class Child:
    """``log_path`` takes its stderr; without one it shares ours."""

    def __init__(self, name: str, command: list[str], log_path: Path | None = None) -> None:
        self.name = name
        self.command = command
        self.log_path = log_path
        log = open(log_path, "wb") if log_path is not None else None
        try:
            self._popen = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=log, text=True, bufsize=1)
        finally:
            if log is not None:
                log.close()
        self.process = psutil.Process(self._popen.pid)
        self._events: queue.Queue[dict] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def processes(self) -> list[psutil.Process]:
        """The processes that are this child (for harness.our_processes)."""
        return [self.process]

    def _read(self) -> None:
        for line in self._popen.stdout:
            self._events.put(json.loads(line))
        self._events.put({"ev": "exited"})

    def send(self, op: str, **fields) -> None:
        self._popen.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self._popen.stdin.flush()

    def ask(self, op: str, expect: str, timeout: float = 60.0, **fields) -> dict:
        self.send(op, **fields)
        return self.wait_for(expect, timeout)

    def wait_for(self, expect: str, timeout: float) -> dict:
        """The next ``expect`` event; TimeoutError past ``timeout``, ServerFailed if it exits."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self._events.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"{self.name}: no {expect!r} within {timeout:.0f}s") from None
            if event["ev"] == expect:
                return event
            if event["ev"] == "exited":
                raise ServerFailed(f"{self.name} exited:\n{self.log_tail()}")

    def alive(self) -> bool:
        return self._popen.poll() is None

    def stop(self, timeout: float) -> int:
        """Ask it to quit; kill it past ``timeout`` seconds."""
        try:
            if self.alive():
                self.send("quit")
                self._popen.stdin.close()
            self._popen.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            self._popen.kill()
            self._popen.wait()
        return self._popen.returncode

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None:
            return "(its stderr is ours)"
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
