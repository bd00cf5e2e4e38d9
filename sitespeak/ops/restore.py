"""Restore a backup made by ``sitespeak.ops.backup``: schema check first, then the database in
one transaction, then the data folders swapped in, then any migrations the code adds."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from sitespeak.db import migrate as migrations
from sitespeak.db.connection import open_database
from sitespeak.errors import InvalidInput, SiteSpeakError
from sitespeak.ops import pgtools
from sitespeak.ops.backup import DATA_DIRS, DUMP, Manifest, check_restorable, read_manifest

# Emptying the schema first makes the result exactly the backup, even when the database has
# tables a later migration added; it runs in the same transaction as the restore itself.
_RESET = "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n"


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    migrated: list[str]


def restore_backup(database_url: str, state_dir: Path, path: Path) -> Restored:
    manifest = read_manifest(path)
    check_restorable(manifest)
    state_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=state_dir, prefix=".restore-") as work:
        _extract(path, Path(work))
        _restore_database(database_url, Path(work) / DUMP)
        _swap_dirs(Path(work) / "state", state_dir)
    db = open_database(database_url, 1)
    try:
        applied = migrations.migrate(db)
    finally:
        db.close_all()
    return Restored(manifest, [f"{m.version:04d}_{m.name}" for m in applied])


def _extract(path: Path, dest: Path) -> None:
    with tarfile.open(path, "r:*") as tar:
        for member in tar.getmembers():
            _check_member(member)
        tar.extractall(dest)


def _check_member(member: tarfile.TarInfo) -> None:
    # The Python this may run on (Debian's 3.11.2) predates tarfile's extraction filters.
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise InvalidInput(f"backup member {member.name!r} points outside the backup")
    if not (member.isfile() or member.isdir()):
        raise InvalidInput(f"backup member {member.name!r} is not a plain file or folder")


def _restore_database(database_url: str, dump: Path) -> None:
    if not dump.is_file():
        raise InvalidInput(f"backup has no {DUMP}")
    # The SQL goes to a file first: a pg_restore that dies half-way must not leave psql to
    # commit a truncated script. psql then applies the reset plus that SQL as one transaction.
    script = dump.with_suffix(".sql")
    _tool(
        [
            pgtools.client("pg_restore", database_url),
            "--no-owner",
            "--no-acl",
            f"--file={script}",
            str(dump),
        ],
        "pg_restore",
    )
    _tool(
        [
            pgtools.client("psql", database_url),
            "--quiet",
            "--no-psqlrc",
            "--set=ON_ERROR_STOP=1",
            "--single-transaction",
            f"--command={_RESET}",
            f"--file={script}",
            f"--dbname={database_url}",
        ],
        "psql",
    )


def _tool(cmd: list[str], name: str) -> None:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise SiteSpeakError(f"{name} not found: install postgresql-client") from None
    if done.returncode != 0:
        raise SiteSpeakError(
            f"database restore failed in {name}, nothing changed: {done.stderr.strip()[-2000:]}"
        )


def _swap_dirs(extracted: Path, state_dir: Path) -> None:
    """Replace every data folder by the backup's (absent in the backup = empty after restore)."""
    for name in DATA_DIRS:
        target, incoming = state_dir / name, extracted / name
        old = state_dir / f".{name}.before-restore"
        shutil.rmtree(old, ignore_errors=True)
        if target.exists():
            target.rename(old)
        if incoming.is_dir():
            incoming.rename(target)
        shutil.rmtree(old, ignore_errors=True)
