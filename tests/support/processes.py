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

from tests.support.slow_tests import check_may_start

ROOT = Path(__file__).resolve().parents[2]


def run_command(
    env: dict | None, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """A short ``python -m sitespeak ARGS`` run (a command, not a server) from the checkout, with
    ``env`` as its whole environment (None: this process's); its status and text output."""
    return subprocess.run(
        [sys.executable, "-m", "sitespeak", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


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
    check_may_start(f"a {env.get('PROCESS_TYPE') or ' '.join(args)} process")
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


def start_web(env: dict, log_dir: Path, timeout: float = 120, **extra: str) -> Proc:
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


def speech_address(env: dict) -> Path:
    """The socket a speech process started with ``env`` listens on (SITESPEAK_SPEECH_SOCKET,
    else speech.sock in the state dir)."""
    from sitespeak.speech.protocol import parse_address

    state_dir = Path(env["SITESPEAK_STATE_DIR"])
    address = parse_address(env.get("SITESPEAK_SPEECH_SOCKET", ""), state_dir)
    assert address.path is not None, "tests run the speech process on a Unix socket"
    return address.path


def speech_hello(path: Path, timeout: float = 2) -> dict | None:
    """The speech process's hello reply, or None when nothing answers on ``path``."""
    return speech_call(path, "hello", timeout)


def speech_health(path: Path, timeout: float = 10) -> dict:
    """The speech process's health (its phrase cache's hits and misses among it)."""
    reply = speech_call(path, "health", timeout)
    assert reply is not None, f"no speech process answers on {path}"
    return reply["health"]


def speech_call(path: Path, op: str, timeout: float = 2) -> dict | None:
    """The reply header of one request without payload, or None when nothing answers."""
    import json
    import struct

    from sitespeak.speech.protocol import PREFIX, encode

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(encode({"id": 1, "op": op}))
            data = b""
            while (
                len(data) < PREFIX.size
                or len(data) < PREFIX.size + PREFIX.unpack(data[: PREFIX.size])[0]
            ):
                chunk = sock.recv(65536)
                if not chunk:
                    return None
                data += chunk
            head_len = struct.unpack("!I", data[:4])[0]
            return json.loads(data[PREFIX.size : PREFIX.size + head_len])
    except OSError:
        return None


def start_speech(env: dict, log_dir: Path, timeout: float = 120, **extra: str) -> Proc:
    """A speech process (``PROCESS_TYPE=speech``), returned once it answers on its socket."""
    full = {**env, "PROCESS_TYPE": "speech", **extra}
    proc = spawn(full, [], log_dir / f"speech-{time.monotonic_ns()}.log")
    path = speech_address(full)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"speech process exited {proc.popen.returncode}:\n{proc.output()}")
        if path.exists() and speech_hello(path):
            return proc
        time.sleep(0.1)
    proc.stop()
    raise TimeoutError(f"speech process not ready after {timeout}s:\n{proc.output()}")


def wait_ready(proc: Proc, timeout: float = 120) -> None:
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


def wait_for(predicate, timeout: float = 60, every: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
