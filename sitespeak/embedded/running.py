"""Where a running ``dev`` says which servers it uses, so admin commands in another shell of the
same checkout find them without the owner copying URLs: ``{state_dir}/dev.env``, readable by its
owner only (the URLs carry the database's address), removed when ``dev`` stops."""

from __future__ import annotations

import os
from pathlib import Path

FILE = "dev.env"


def record(state_dir: Path, database_url: str, redis_url: str) -> Path:
    path = state_dir / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{FILE}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(f"PID={os.getpid()}\nDATABASE_URL={database_url}\nREDIS_URL={redis_url}\n")
    os.replace(temp, path)
    return path


def forget(state_dir: Path) -> None:
    path = state_dir / FILE
    if _read(path).get("PID") == str(os.getpid()):  # never another dev's record
        path.unlink(missing_ok=True)


def running_dev(state_dir: Path) -> dict[str, str] | None:
    """The URLs of the ``dev`` running on this state dir, or None when none runs (a record left
    by a ``dev`` that was killed names a dead process and is ignored)."""
    found = _read(state_dir / FILE)
    try:
        os.kill(int(found.get("PID", "")), 0)
    except (ValueError, ProcessLookupError):
        return None
    except PermissionError:
        pass  # alive, under another user
    return {k: v for k, v in found.items() if k in ("DATABASE_URL", "REDIS_URL") and v}


def _read(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split("=", 1) for line in lines if "=" in line)
