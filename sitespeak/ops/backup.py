"""Backups of one install: the database (pg_dump custom format) plus the state dir's uploads and
published releases, in one tar file with a manifest that records the schema version.

A restore refuses a backup whose schema is newer than this code: the code could not run on it,
and downgrading a schema is not something migrations can do.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sitespeak import __version__
from sitespeak.db import migrate as migrations
from sitespeak.db.connection import open_database
from sitespeak.errors import Conflict, InvalidInput, SiteSpeakError
from sitespeak.ops import pgtools

FORMAT = 1
# The state dir's subfolders that are data; the rest (model cache, embedded servers) is not.
DATA_DIRS = ("uploads", "releases")
MANIFEST = "manifest.json"
DUMP = "database.dump"


@dataclass(frozen=True)
class Manifest:
    format: int
    sitespeak_version: str
    schema_version: int
    created_at: float
    dirs: tuple[str, ...]

    @classmethod
    def parse(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            return cls(
                int(data["format"]),
                str(data["sitespeak_version"]),
                int(data["schema_version"]),
                float(data["created_at"]),
                tuple(data["dirs"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"not a sitespeak backup: bad {MANIFEST} ({exc})") from None


def _run(cmd: list[str], what: str, **kwargs) -> subprocess.CompletedProcess:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    except FileNotFoundError:
        raise SiteSpeakError(f"{cmd[0]} not found: install postgresql-client") from None
    if done.returncode != 0:
        raise SiteSpeakError(
            f"{what} failed ({cmd[0]} exit {done.returncode}): {done.stderr.strip()[-2000:]}"
        )
    return done


def schema_version(database_url: str) -> int:
    db = open_database(database_url, 1)
    try:
        with db.connection_context():
            return migrations.current_version(db)
    finally:
        db.close_all()


def default_path(state_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return state_dir / "backups" / f"sitespeak-{stamp}.tar.gz"


def create_backup(database_url: str, state_dir: Path, out: Path) -> Manifest:
    """Write the backup to ``out`` (atomically: a partial file never has the final name)."""
    manifest = Manifest(
        FORMAT,
        __version__,
        schema_version(database_url),
        time.time(),
        tuple(d for d in DATA_DIRS if (state_dir / d).is_dir()),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".backup-") as work:
        dump = Path(work) / DUMP
        _run(
            [
                pgtools.client("pg_dump", database_url),
                "--format=custom",
                "--no-owner",
                "--no-acl",
                f"--file={dump}",
                f"--dbname={database_url}",
            ],
            "database dump",
        )
        partial = Path(work) / "partial.tar.gz"
        # Backups hold every tenant's data: readable by the owner only.
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest.__dict__).encode())
            tar.add(dump, DUMP)
            for name in manifest.dirs:
                tar.add(state_dir / name, f"state/{name}")
        partial.replace(out)
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
    tar.addfile(info, io.BytesIO(data))


def read_manifest(path: Path) -> Manifest:
    if not path.is_file():
        raise InvalidInput(f"no such backup file: {path}")
    try:
        with tarfile.open(path, "r:*") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise KeyError(MANIFEST)
            return Manifest.parse(member.read())
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise InvalidInput(f"not a sitespeak backup: {path} ({exc})") from None


def check_restorable(manifest: Manifest) -> None:
    if manifest.format > FORMAT:
        raise Conflict(
            f"backup format {manifest.format} is newer than this sitespeak "
            f"({FORMAT}); restore it with sitespeak {manifest.sitespeak_version}"
        )
    latest = migrations.latest_version()
    if manifest.schema_version > latest:
        raise Conflict(
            f"backup has schema version {manifest.schema_version}, newer than this code "
            f"(version {latest}, sitespeak {__version__}); upgrade sitespeak to "
            f"{manifest.sitespeak_version} or later before restoring",
            code="schema_newer",
        )
