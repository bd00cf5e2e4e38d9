"""Migrations are versioned, recorded, idempotent, and run only by `migrate`."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg2
import pytest

from sitespeak.db.migrate import latest_version
from tests.support.processes import run_command
from tests.support.services import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def empty_db(services):
    url = create_database(services, "mig")
    yield url
    drop_database(url)


def _migrate(url: str) -> dict:
    env = {"PATH": "/usr/bin:/bin", "SITESPEAK_ENV_FILE": "", "DATABASE_URL": url}
    done = run_command(env, "migrate", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _tables(url: str) -> set[str]:
    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in cur.fetchall()}


def test_migrate_twice_applies_everything_once(empty_db: str) -> None:
    first = _migrate(empty_db)
    assert first["applied"][0] == "0001_core"
    assert first["version"] == latest_version()
    second = _migrate(empty_db)
    assert second == {"applied": [], "version": latest_version()}
    assert {"tenants", "users", "api_tokens", "sites", "jobs", "schema_migrations"} <= _tables(
        empty_db
    )


def test_starting_the_web_app_does_not_migrate(empty_db: str, services) -> None:
    from sitespeak.assembly import web_app
    from sitespeak.db.connection import open_database
    from sitespeak.settings import Settings

    try:
        web_app(Settings(database_url=empty_db, redis_url=services.redis_url))
        assert _tables(empty_db) == set()
    finally:
        open_database(services.database_url, 4)  # the models' proxy back on the run's database
