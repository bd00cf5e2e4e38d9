"""`sitespeak backup` / `sitespeak restore FILE` as real commands against real PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psycopg2
import pytest

from sitespeak.db.migrate import latest_version
from tests.support.processes import run_command
from tests.support.services import create_database, drop_database

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(f"/usr/bin/{t}") for t in ("pg_dump", "pg_restore", "psql")),
    reason="needs the postgresql-client Debian package (pg_dump, pg_restore, psql)",
)


def sitespeak(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_command({**os.environ, **env}, *args, timeout=120)


def rows(url: str, sql: str) -> list[tuple]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else []
    finally:
        conn.commit()
        conn.close()


def fill_state(state: Path) -> dict[str, bytes]:
    files = {"uploads/1/menu.pdf": b"%PDF-1.4 menu\n", "releases/1/v3/widget.js": b"say('hi')\n"}
    for name, data in files.items():
        (state / name).parent.mkdir(parents=True, exist_ok=True)
        (state / name).write_bytes(data)
    (state / "model-cache").mkdir(exist_ok=True)  # not data: must not be in the backup
    (state / "model-cache" / "big.bin").write_bytes(b"x" * 1000)
    return files


@pytest.fixture()
def fresh_db(services):
    made: list[str] = []

    def make(suffix: str) -> str:
        made.append(create_database(services, suffix))
        return made[-1]

    yield make
    for url in made:
        drop_database(url)


def test_a_restored_backup_brings_back_rows_uploads_and_releases(
    base_env, services, fresh_db, tmp_path
):
    source_state, target_state = tmp_path / "source", tmp_path / "target"
    files = fill_state(source_state)
    rows(services.database_url, "INSERT INTO tenants (name) VALUES ('Backup Bistro')")
    env = {**base_env, "SITESPEAK_STATE_DIR": str(source_state)}
    out = tmp_path / "b.tar.gz"
    made = sitespeak(env, "backup", "--output", str(out), "--json")
    assert made.returncode == 0, made.stderr
    report = json.loads(made.stdout)
    assert report["schema_version"] == latest_version()
    assert sorted(report["dirs"]) == ["releases", "uploads"]
    assert oct(out.stat().st_mode & 0o777) == "0o600"

    target = fresh_db("restore")
    target_env = {**base_env, "DATABASE_URL": target, "SITESPEAK_STATE_DIR": str(target_state)}
    (target_state / "uploads" / "stale").mkdir(parents=True)
    done = sitespeak(target_env, "restore", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert rows(target, "SELECT name FROM tenants WHERE name = 'Backup Bistro'") == [
        ("Backup Bistro",)
    ]
    assert rows(target, "SELECT max(version) FROM schema_migrations") == [(latest_version(),)]
    for name, data in files.items():
        assert (target_state / name).read_bytes() == data
    assert not (target_state / "uploads" / "stale").exists()
    assert not (target_state / "model-cache").exists()


def test_a_restore_puts_back_exactly_the_backup_and_drops_later_rows(base_env, fresh_db, tmp_path):
    db = fresh_db("again")
    env = {**base_env, "DATABASE_URL": db, "SITESPEAK_STATE_DIR": str(tmp_path / "s")}
    assert sitespeak(env, "migrate").returncode == 0
    rows(db, "INSERT INTO tenants (name) VALUES ('Kept')")
    out = tmp_path / "b.tar.gz"
    assert sitespeak(env, "backup", "-o", str(out)).returncode == 0
    rows(db, "INSERT INTO tenants (name) VALUES ('Added after the backup')")
    rows(db, "CREATE TABLE stray (id int)")
    done = sitespeak(env, "restore", str(out))
    assert done.returncode == 0, done.stderr
    assert rows(db, "SELECT name FROM tenants ORDER BY name") == [("Kept",)]
    assert rows(db, "SELECT to_regclass('public.stray')") == [(None,)]


def test_a_backup_from_a_newer_schema_is_refused_and_changes_nothing(base_env, fresh_db, tmp_path):
    newer = fresh_db("newer")
    env = {**base_env, "DATABASE_URL": newer, "SITESPEAK_STATE_DIR": str(tmp_path / "n")}
    assert sitespeak(env, "migrate").returncode == 0
    future = latest_version() + 1
    # What a newer sitespeak leaves behind: one more applied migration than this code knows.
    rows(newer, f"INSERT INTO schema_migrations (version, name) VALUES ({future}, 'future')")
    out = tmp_path / "newer.tar.gz"
    made = sitespeak(env, "backup", "-o", str(out), "--json")
    assert json.loads(made.stdout)["schema_version"] == future

    target = fresh_db("untouched")
    target_env = {**env, "DATABASE_URL": target}
    assert sitespeak(target_env, "migrate").returncode == 0
    rows(target, "INSERT INTO tenants (name) VALUES ('Still here')")
    refused = sitespeak(target_env, "restore", str(out))
    assert refused.returncode == 1
    assert f"schema version {future}, newer than this code" in refused.stderr
    assert rows(target, "SELECT name FROM tenants") == [("Still here",)]


def test_a_file_that_is_not_a_backup_is_refused_with_its_name(base_env, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    refused = sitespeak(base_env, "restore", str(bogus))
    assert refused.returncode == 1
    assert f"not a sitespeak backup: {bogus}" in refused.stderr
