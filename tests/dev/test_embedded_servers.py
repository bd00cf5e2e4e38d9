"""EmbeddedServers: one owner per state dir, orphans of a killed owner cleaned up with their data
kept, and as root nothing outside the state dir changes."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import psycopg2
import pytest
import redis
from honcho.environ import parse_procfile

from sitespeak.embedded.postgres import _install_dir
from sitespeak.embedded.servers import EmbeddedServers
from sitespeak.embedded.supervise import DEFAULT_PROCFILE, PROCFILE, procfile_processes
from tests.dev.support import alive, wait_gone
from tests.support.processes import ROOT

HOLDER = """
import sys, psycopg2, redis
from pathlib import Path
from sitespeak.embedded.servers import EmbeddedServers
servers = EmbeddedServers(Path(sys.argv[1]))
servers.start()
with psycopg2.connect(servers.database_url) as conn, conn.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS kept (v TEXT); INSERT INTO kept VALUES ('before')")
redis.Redis.from_url(servers.redis_url).set("kept", "before")
print("up", flush=True)
sys.stdin.readline()
servers.stop()
"""


def _holder(state: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(state)],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _server_pids(state: Path) -> set[int]:
    servers = EmbeddedServers(state)
    return {pid for pid in (servers.postgres.running_pid(), servers.valkey.running_pid()) if pid}


def test_two_processes_starting_on_one_state_dir_give_one_pair_of_servers(state) -> None:
    first, second = _holder(state), _holder(state)
    try:
        outcomes = {}
        for proc in (first, second):
            line = proc.stdout.readline().strip()
            if line != "up":
                proc.wait(30)
                line = proc.stderr.read()
            outcomes[proc.pid] = line
        winners = [p for p in (first, second) if outcomes[p.pid] == "up"]
        losers = [p for p in (first, second) if outcomes[p.pid] != "up"]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert losers[0].returncode == 1
        assert f"in use by process {winners[0].pid}" in outcomes[losers[0].pid]
        assert len(_server_pids(state)) == 2
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.communicate("\n", timeout=60)
    assert not _server_pids(state)


def test_servers_left_by_a_killed_owner_are_replaced_and_their_data_kept(state) -> None:
    holder = _holder(state)
    assert holder.stdout.readline().strip() == "up", holder.stderr.read()
    orphans = _server_pids(state)
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    assert len(alive(orphans)) == 2, "servers should outlive a killed owner"

    servers = EmbeddedServers(state)
    servers.start()
    try:
        assert not wait_gone(orphans, 5), "orphans must be stopped, not shared"
        with psycopg2.connect(servers.database_url) as conn, conn.cursor() as cur:
            cur.execute("SELECT v FROM kept")
            assert cur.fetchall() == [("before",)]
        assert redis.Redis.from_url(servers.redis_url).get("kept") == b"before"
        running = _server_pids(state)
    finally:
        servers.stop()
    assert not wait_gone(running, 5)


def _modes(paths: list[Path]) -> dict[str, tuple[int, int, int]]:
    return {str(p): (p.stat().st_mode, p.stat().st_uid, p.stat().st_gid) for p in paths}


@pytest.mark.skipif(os.geteuid() != 0, reason="checks what running as root changes")
def test_as_root_postgres_runs_unprivileged_and_nothing_outside_the_state_dir_changes(
    state,
) -> None:
    install = _install_dir()
    outside = [*state.parents, *install.parents, *[p for p in install.rglob("*") if p.is_dir()]]
    before = _modes(outside), Path("/etc/passwd").read_bytes(), Path("/etc/group").read_bytes()
    servers = EmbeddedServers(state)
    servers.start()
    try:
        postmaster = psutil.Process(servers.postgres.running_pid())
        nobody = pwd.getpwnam("nobody").pw_uid
        assert postmaster.uids().effective == nobody
        assert (state / "postgres").stat().st_uid == nobody
        assert (state / "valkey").stat().st_uid == 0
    finally:
        servers.stop()
    after = _modes(outside), Path("/etc/passwd").read_bytes(), Path("/etc/group").read_bytes()
    assert after == before


def test_the_built_in_procfile_matches_the_repos() -> None:
    assert procfile_processes() == dict(parse_procfile(DEFAULT_PROCFILE).processes)
    assert PROCFILE == ROOT / "Procfile"


def test_stale_pid_files_naming_someone_elses_servers_leave_those_processes_alone(
    state, tmp_path
) -> None:
    servers = EmbeddedServers(state)
    servers.start()
    servers.stop()
    # Stand-ins named like the servers, as after a reboot reused the old pids.
    impostors = []
    for name, pidfile in (
        ("postgres", state / "postgres" / "postmaster.pid"),
        ("valkey-server", state / "valkey" / "valkey.pid"),
    ):
        program = tmp_path / name
        program.write_bytes(Path("/bin/sleep").read_bytes())
        program.chmod(0o755)
        proc = subprocess.Popen([str(program), "60"], cwd=tmp_path)
        pidfile.write_text(f"{proc.pid}\n")
        impostors.append(proc)
    try:
        servers.start()
        try:
            assert all(proc.poll() is None for proc in impostors)
            assert _server_pids(state).isdisjoint(proc.pid for proc in impostors)
        finally:
            servers.stop()
        assert all(proc.poll() is None for proc in impostors)
    finally:
        for proc in impostors:
            proc.kill()
            proc.wait(5)
