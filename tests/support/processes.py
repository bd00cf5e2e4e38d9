"""Real ``python -m sitespeak`` processes for tests: start, wait until ready, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    popen: subprocess.Popen
    log: Path
    port: int | None = None
    env: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode


def spawn(env: dict, args: list[str], log: Path, port: int | None = None) -> Proc:
    full = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    handle = open(log, "ab")
    popen = subprocess.Popen(
        [sys.executable, "-m", "sitespeak", *args],
        env=full,
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    return Proc(popen, log, port, env)


def start_web(env: dict, log_dir: Path, timeout: float = 30, **extra: str) -> Proc:
    port = free_port()
    proc = spawn(
        {**env, "PROCESS_TYPE": "web", "SITESPEAK_PORT": str(port), **extra},
        [],
        log_dir / f"web-{port}.log",
        port,
    )
    wait_ready(proc, timeout)
    return proc


def start_worker(env: dict, log_dir: Path, name: str = "worker", **extra: str) -> Proc:
    log = log_dir / f"{name}-{time.monotonic_ns()}.log"
    return spawn({**env, "PROCESS_TYPE": "worker", **extra}, [], log)


def wait_ready(proc: Proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"web process exited {proc.popen.returncode}:\n{proc.output()}")
        try:
            if httpx.get(proc.url + "/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"web process not ready after {timeout}s:\n{proc.output()}")


def wait_for(predicate, timeout: float = 20, every: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
