"""Ops one-offs on an install: ``backup`` and ``restore FILE``.

Stop the web and worker first for a consistent restore (``systemctl stop sitespeak.target``);
a backup can run while they serve (pg_dump takes a consistent snapshot).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from sitespeak.cli.output import add_json_flag, emit
from sitespeak.errors import SiteSpeakError
from sitespeak.ops.backup import create_backup, default_path
from sitespeak.ops.restore import restore_backup
from sitespeak.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backup", help="write database, uploads and releases to one file")
    p.add_argument(
        "--output",
        "-o",
        type=Path,
        help="backup file (default STATE_DIR/backups/sitespeak-UTCSTAMP.tar.gz)",
    )
    add_json_flag(p)
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser("restore", help="replace database, uploads and releases by a backup")
    p.add_argument("file", type=Path, help="a file written by `sitespeak backup`")
    add_json_flag(p)
    p.set_defaults(handler=cmd_restore)


def _database_url(settings: Settings) -> str:
    if not settings.database_url:
        raise SiteSpeakError("DATABASE_URL is not set; point it at the PostgreSQL to back up")
    return settings.database_url


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    out = args.output or default_path(settings.state_dir)
    start = time.perf_counter()
    manifest = create_backup(_database_url(settings), settings.state_dir, out)
    size = out.stat().st_size
    emit(
        args,
        {
            "file": str(out.resolve()),
            "bytes": size,
            "schema_version": manifest.schema_version,
            "dirs": list(manifest.dirs),
            "seconds": round(time.perf_counter() - start, 2),
        },
        f"backup written to {out.resolve()} ({size} bytes, schema version "
        f"{manifest.schema_version}, folders: {', '.join(manifest.dirs) or 'none'})",
    )
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    done = restore_backup(_database_url(settings), settings.state_dir, args.file)
    migrated = ", ".join(done.migrated)
    emit(
        args,
        {
            "file": str(args.file.resolve()),
            "schema_version": done.manifest.schema_version,
            "migrated": done.migrated,
            "dirs": list(done.manifest.dirs),
        },
        f"restored {args.file} (schema version {done.manifest.schema_version}"
        + (f", then applied {migrated})" if migrated else ")"),
    )
    return 0
