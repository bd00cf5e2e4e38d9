"""Both embedded servers of one state dir, started and stopped together under a file lock.

The lock is held from ``start()`` to ``stop()``: a second process on the same state dir fails at
once with the holder's pid instead of starting a second pair of servers on the same data.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO

from sitespeak.embedded.postgres import EmbeddedPostgres
from sitespeak.embedded.valkey import EmbeddedValkey
from sitespeak.errors import SiteSpeakError

log = logging.getLogger(__name__)


class EmbeddedBusy(SiteSpeakError):
    code = "embedded_busy"


class EmbeddedServers:
    def __init__(
        self, state_dir: Path, *, pg_user: str = "nobody", postgres: bool = True, redis: bool = True
    ) -> None:
        self.root = Path(state_dir).resolve()
        self.postgres = EmbeddedPostgres(self.root / "postgres", pg_user) if postgres else None
        self.valkey = EmbeddedValkey(self.root / "valkey") if redis else None
        self._lock: IO[str] | None = None

    @property
    def database_url(self) -> str:
        return self.postgres.url() if self.postgres else ""

    @property
    def redis_url(self) -> str:
        return self.valkey.url if self.valkey else ""

    def start(self) -> None:
        self._take_lock()
        try:
            if self.postgres:
                self.postgres.start()
            if self.valkey:
                self.valkey.start()
        except BaseException:
            self.stop()
            raise
        log.info("embedded servers up in %s", self.root)

    def stop(self) -> None:
        """Stop both (each even if the other fails), then release the lock."""
        if self._lock is None:
            return  # never started, or another process owns them: not ours to stop
        try:
            if self.valkey:
                self.valkey.stop()
        finally:
            try:
                if self.postgres:
                    self.postgres.stop()
            finally:
                self._release_lock()

    def __enter__(self) -> EmbeddedServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _take_lock(self) -> None:
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle = open(self.root / "lock", "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise EmbeddedBusy(
                f"the embedded servers in {self.root} are in use by process "
                f"{holder}; stop it or use another SITESPEAK_STATE_DIR"
            ) from None
        handle.truncate(0)
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock = handle

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.truncate(0)
            self._lock.close()
            self._lock = None
