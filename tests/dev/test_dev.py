"""`python -m sitespeak dev` on a bare machine: embedded servers in the state dir, migrated, the
Procfile's processes supervised; SIGTERM stops everything; a second run keeps the data."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import psutil

from sitespeak.embedded.servers import EmbeddedServers
from tests.dev.support import (
    bare_env,
    family,
    launch,
    run_echo,
    terminate,
    wait_gone,
    wait_ready,
)
from tests.support.processes import free_port, run_command, wait_for


class DevRun:
    def __init__(self, state: Path, log_dir: Path) -> None:
        self.state, self.port = state, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"dev-{self.port}.log"
        env = bare_env(SITESPEAK_STATE_DIR=str(state), SITESPEAK_PORT=str(self.port))
        self.proc = launch([sys.executable, "-m", "sitespeak", "dev"], env, self.log)
        wait_ready(self.url, self.proc, self.log)
        self.pids = family(self.proc.pid) | self._server_pids()

    def _server_pids(self) -> set[int]:
        servers = EmbeddedServers(self.state / "embedded")
        pids = {servers.postgres.running_pid(), servers.valkey.running_pid()}
        assert None not in pids, "embedded servers not running"
        return set().union(*(family(pid) for pid in pids))

    def admin(self, *args: str) -> dict:
        """An admin command in another shell of the same checkout: no URL given, it finds the
        servers of the running ``dev`` by itself."""
        env = bare_env(SITESPEAK_STATE_DIR=str(self.state))
        done = run_command(env, *args, "--json")
        assert done.returncode == 0, done.stderr
        assert "using the servers of the `dev` running on" in done.stderr
        return json.loads(done.stdout)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        rc = terminate(self.proc, sig=sig)
        leftover = wait_gone(self.pids)
        assert not leftover, f"still running: {leftover}\n{self.output()}"
        return rc

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def announced(self) -> str | None:
        """The output once it names the web URL, else None."""
        out = self.output()
        return out if f"web on {self.url}" in out else None


def _servers_on(state: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "cwd"]):
        text = " ".join(proc.info["cmdline"] or []) + " " + (proc.info["cwd"] or "")
        if str(state) in text and proc.pid != psutil.Process().pid:
            found.append(proc)
    return found


def test_dev_on_a_bare_machine_serves_runs_a_job_and_leaves_nothing_running_after_sigterm(
    state, tmp_path
) -> None:
    run = DevRun(state, tmp_path)
    try:
        # The supervisor prints the URLs after its own probe answers: a moment after ours.
        out = wait_for(run.announced, timeout=60, every=0.2, what="the dev URLs")
        # The URLs come once the web process answers, not while it is still starting.
        assert out.index("Listening at") < out.index(f"web on {run.url}"), out
        run.admin("tenant", "create", "Dev Shop")
        token = run.admin("token", "create", "--tenant", "Dev Shop")["token"]
        job = run_echo(run.url, token, "hello embedded", queue="crawler")
        assert job["status"] == "succeeded", job
        assert job["result"] == {"message": "hello embedded", "queue": "crawler"}
        assert (state / "embedded" / "postgres" / "PG_VERSION").is_file()
        assert (state / "embedded" / "valkey" / "valkey.sock").is_socket()
    finally:
        rc = run.stop()
    assert rc == 0, run.output()
    assert not _servers_on(state), run.output()
    assert "embedded servers stopped" in run.output()
    assert not (state / "dev.env").exists()  # admin commands no longer find a dev to use


def test_a_second_dev_run_reuses_the_data_of_the_first(state, tmp_path) -> None:
    first = DevRun(state, tmp_path)
    try:
        assert first.admin("tenant", "create", "Kept Shop")["created"] is True
    finally:
        rc = first.stop(signal.SIGINT)  # what Ctrl-C sends
    assert rc == 0, first.output()
    second = DevRun(state, tmp_path)
    try:
        again = second.admin("tenant", "create", "Kept Shop")
        assert again["created"] is False
    finally:
        second.stop()
