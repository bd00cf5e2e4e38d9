"""Where the test suite's PostgreSQL and Redis come from, and a fresh database per run.

``SITESPEAK_TEST_DATABASE_URL`` / ``SITESPEAK_TEST_REDIS_URL`` name real servers (CI uses this
machine's PostgreSQL 15 and Redis 7); without them the embedded servers from PyPI are started in
a temporary directory, exactly as ``python -m sitespeak dev`` does on a bare machine.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2
import redis


@dataclass(frozen=True)
class TestServices:
    database_url: str
    redis_url: str
    redis_prefix: str


def _with_db(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + name))


def _admin_exec(server_url: str, sql: str) -> None:
    conn = psycopg2.connect(_with_db(server_url, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@contextmanager
def test_services(tmp: Path) -> Iterator[TestServices]:
    db_server = os.environ.get("SITESPEAK_TEST_DATABASE_URL")
    redis_url = os.environ.get("SITESPEAK_TEST_REDIS_URL")
    embedded = None
    if not (db_server and redis_url):
        from sitespeak.embedded.servers import EmbeddedServers

        embedded = EmbeddedServers(tmp / "embedded")
        embedded.start()
        db_server, redis_url = embedded.database_url, embedded.redis_url
    run = uuid.uuid4().hex[:10]
    name = f"sitespeak_test_{run}"
    _admin_exec(db_server, f'CREATE DATABASE "{name}"')
    try:
        yield TestServices(_with_db(db_server, name), redis_url, f"test-{run}")
    finally:
        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(match=f"test-{run}*", count=1000):
            client.delete(key)
        _admin_exec(db_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if embedded:
            embedded.stop()


def create_database(services: TestServices, suffix: str) -> str:
    """An extra empty database next to the run's own (for migration tests)."""
    name = urlparse(services.database_url).path.lstrip("/") + "_" + suffix
    _admin_exec(services.database_url, f'CREATE DATABASE "{name}"')
    return _with_db(services.database_url, name)


def drop_database(url: str) -> None:
    name = urlparse(url).path.lstrip("/")
    _admin_exec(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
