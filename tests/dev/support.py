"""Helpers for the dev-path tests: environments, job round trips and process accounting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tests.support.processes import ROOT, wait_for

VENV_BIN = str(Path(sys.executable).parent)


def bare_env(**extra: str) -> dict[str, str]:
    """Our environment minus anything naming servers: what a bare machine gives `dev`."""
    drop = (
        "DATABASE_URL",
        "REDIS_URL",
        "SITESPEAK_DATABASE_URL",
        "SITESPEAK_REDIS_URL",
        "PROCESS_TYPE",
    )
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        PYTHONUNBUFFERED="1",
        SITESPEAK_ENV_FILE="",
        SITESPEAK_SHUTDOWN_GRACE="5",
        PATH=os.pathsep.join([VENV_BIN, env.get("PATH", "/usr/bin:/bin")]),
    )
    return {**env, **extra}


def launch(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"exited {proc.returncode} before ready:\n{log.read_text()}")
        try:
            return httpx.get(url + "/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(ready, timeout=timeout, every=0.2, what=f"{url}/health/ready")


def run_echo(url: str, token: str, message: str, queue: str = "critical") -> dict:
    """Submit an echo job over HTTP and wait for the worker to finish it."""
    headers = {"Authorization": f"Bearer {token}"}
    made = httpx.post(
        url + "/api/v1/jobs",
        headers=headers,
        timeout=10,
        json={"name": "echo", "queue": queue, "args": {"message": message}},
    )
    assert made.status_code == 201, made.text
    job_id = made.json()["id"]

    def finished() -> dict | None:
        view = httpx.get(f"{url}/api/v1/jobs/{job_id}", headers=headers, timeout=10).json()
        return view if view["status"] in ("succeeded", "failed", "dead") else None

    return wait_for(finished, timeout=60, every=0.2, what=f"job {job_id}")


def family(pid: int) -> set[int]:
    """The pid and all its descendants now."""
    try:
        proc = psutil.Process(pid)
        return {pid, *(child.pid for child in proc.children(recursive=True))}
    except psutil.NoSuchProcess:
        return set()


def alive(pids: set[int]) -> list[str]:
    """The pids that still run (a zombie init has not reaped yet counts as gone)."""
    found = []
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            if proc.status() != psutil.STATUS_ZOMBIE:
                found.append(f"{pid} {proc.name()} {' '.join(proc.cmdline())[:120]}")
        except psutil.NoSuchProcess:
            pass
    return found


def terminate(proc: subprocess.Popen, timeout: float = 40, sig: int = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
        raise AssertionError(f"still running {timeout}s after signal {sig}") from None


def wait_gone(pids: set[int], timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left
