"""The fault suite's stack: a PostgreSQL and a Redis of its own (tests stop them; never the
shared ones), the bakery site crawled and indexed into it by the operator's CLI, and real web
and worker processes on them (speaking through the run's speech process)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg2
import pytest

from tests.conftest import own_queues
from tests.support.own_postgres import OwnPostgres
from tests.support.processes import Proc, start_web, start_worker, wait_for
from tests.support.redis_server import OwnRedis
from tests.voice.testsite import serve_site


@dataclass
class Stack:
    pg: OwnPostgres
    redis: OwnRedis
    web: Proc
    worker: Proc
    origin: str
    site_key: str
    env: dict
    logs: Path

    def ready(self) -> int:
        try:
            return httpx.get(self.web.url + "/health/ready", timeout=3).status_code
        except httpx.HTTPError:
            return 0

    def job(self, job_id: str) -> dict:
        headers = {"Authorization": f"Bearer {self.pg.token}"}
        return httpx.get(f"{self.web.url}/api/v1/jobs/{job_id}", headers=headers, timeout=10).json()


@pytest.fixture(scope="package")  # one stack for the whole suite: its scenarios run in turn
def stack(own_postgres, base_env, speech_process, tmp_path_factory):
    logs = tmp_path_factory.mktemp("faults")
    redis = OwnRedis(logs)
    redis.start()
    with serve_site() as origin:
        name = f"fault-bakery-{uuid.uuid4().hex[:6]}"
        made = own_postgres.sitespeak(
            "site", "create", "--tenant", own_postgres.tenant, "--name", name,
            "--url", origin, "--allow-private", "--json",
        )  # fmt: skip
        own_postgres.sitespeak("crawl", name, "--json")
        env = {
            **own_queues(base_env),  # its own Redis anyway; the prefix keeps logs apart
            "DATABASE_URL": own_postgres.url,
            "REDIS_URL": redis.url,
            "SITESPEAK_JOB_LOST_AFTER": "5",  # a message lost with Redis is sent again soon
            "SITESPEAK_VOICE_TURNS_PER_MINUTE": "1000",
            "SITESPEAK_VOICE_IP_TURNS_PER_MINUTE": "1000",
            "SITESPEAK_VOICE_AUDIO_LEAD_MS": "10000",  # answers stream at once: short turns
            "SITESPEAK_VOICE_PRELOAD": "true",  # the models load before the load starts
            # Every test visitor is 127.0.0.1 and the count is box-wide, in this Redis: a
            # scenario's sessions must not refuse the next one's (test_session_cap sets its own).
            "SITESPEAK_VOICE_SESSIONS_PER_ADDRESS": "1000",
        }
        worker = start_worker(env, logs)
        web = start_web(env, logs, 90)
        key = json.loads(made)["key"]
        found = Stack(own_postgres, redis, web, worker, origin, key, env, logs)
        try:
            yield found
        finally:  # the stack's processes now: a test may have replaced one (a killed worker)
            found.web.stop()
            found.worker.stop()
            redis.stop()
            own_postgres.start()


def sql(stack: Stack, query: str, *args: object) -> list[tuple]:
    """Rows of ``query`` on the stack's own PostgreSQL (the test process's models are bound to
    the run's shared one)."""
    conn = psycopg2.connect(stack.pg.url)
    try:
        with conn, conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()
    finally:
        conn.close()


def recorded_pages(stack: Stack, job_id: str, outcome: str | None = None) -> list[str]:
    """The pages the crawl job ``job_id`` recorded (with ``outcome``, or any)."""
    rows = sql(
        stack,
        "SELECT o.url FROM crawl_outcomes o JOIN crawl_runs r ON r.id = o.run_id "
        "WHERE r.job_id = %s AND (%s::text IS NULL OR o.outcome = %s)",
        job_id,
        outcome,
        outcome,
    )
    return [url for (url,) in rows]


def doubled_chunks(stack: Stack, site_id: int) -> list[tuple]:
    return sql(
        stack,
        "SELECT page_id, text_hash FROM chunks WHERE site_id = %s "
        "GROUP BY page_id, text_hash HAVING count(*) > 1",
        site_id,
    )


def recovered(stack: Stack, timeout: float = 60) -> None:
    wait_for(lambda: stack.ready() == 200, timeout, 0.2, "readiness back to 200 by itself")
