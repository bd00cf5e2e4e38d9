"""Dependency outages answer 503 with Retry-After, never 500: Redis down while a job is
submitted (and the job is then not recorded, so a retry cannot run it twice), PostgreSQL down
for every API call. Each test stops a server of its own, never the shared ones."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
import redis

from sitespeak.db.models import Job
from sitespeak.jobs.worker_status import supervision_key
from tests.support.processes import start_web, start_worker, wait_for
from tests.support.redis_server import OwnRedis

pytestmark = pytest.mark.slow  # real web and worker processes, servers of their own


def _ready(url: str) -> int:
    try:
        return httpx.get(url + "/health/ready", timeout=3).status_code
    except httpx.HTTPError:
        return 0


def test_a_job_submitted_while_redis_is_down_gets_503_and_is_not_recorded(
    queue_env, tmp_path, alice, db
) -> None:
    own = OwnRedis(tmp_path)
    own.start()
    web = start_web({**queue_env, "REDIS_URL": own.url}, tmp_path)
    headers = {"Authorization": f"Bearer {alice.token}"}
    key = f"outage-{uuid.uuid4().hex[:8]}"
    try:
        own.stop()
        wait_for(lambda: _ready(web.url) == 503, what="503 without redis")
        refused = httpx.post(
            web.url + "/api/v1/jobs",
            json={"name": "echo", "idempotency_key": key},
            headers=headers,
            timeout=30,
        )
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.headers["content-type"] == "application/problem+json"
        assert not Job.select().where(Job.idempotency_key == key).exists()

        own.start()
        wait_for(lambda: _ready(web.url) == 200, what="200 after redis returned")
        taken = httpx.post(
            web.url + "/api/v1/jobs",
            json={"name": "echo", "idempotency_key": key},
            headers=headers,
            timeout=30,
        )
        assert taken.status_code == 201, taken.text
        assert Job.select().where(Job.idempotency_key == key).count() == 1
    finally:
        web.stop()
        own.stop()


def _passes(env: dict[str, str], queue: str, count: int) -> list[tuple[bool, float]]:
    """The next ``count`` supervision passes of ``queue``'s worker, as (ok, at), read from the
    record each pass leaves in Redis (a hang guard bounds the wait, never the figure)."""
    client = redis.Redis.from_url(env["REDIS_URL"])
    key = supervision_key(env["SITESPEAK_REDIS_PREFIX"])
    seen: list[tuple[bool, float]] = []

    def recorded() -> bool:
        raw = client.hget(key, queue)
        record = json.loads(raw) if raw else None
        if record and (not seen or record["at"] > seen[-1][1]):
            seen.append((record["ok"], record["at"]))
        return len(seen) > count  # the first one seen may predate the call

    wait_for(recorded, timeout=60, every=0.05, what=f"{count} supervision passes")
    return seen[1:]


def test_while_postgresql_restarts_the_api_answers_503_and_the_worker_says_so_then_recovers(
    queue_env, tmp_path, own_postgres
) -> None:
    pg = own_postgres
    env = {**queue_env, "DATABASE_URL": pg.url}
    web = start_web(env, tmp_path)
    worker = start_worker(env, tmp_path, SITESPEAK_WORKER_QUEUES="ai")
    headers = {"Authorization": f"Bearer {pg.token}"}

    def supervision() -> str | None:
        beat = httpx.get(web.url + "/health", timeout=10).json()["worker_heartbeats"]
        return beat.get("ai", {}).get("supervision")

    try:
        assert httpx.get(web.url + "/api/v1/sites", headers=headers).status_code == 200
        wait_for(lambda: supervision() == "ok", timeout=60, what="a first supervision pass")
        pg.stop()
        for method, path, body in [
            ("GET", "/api/v1/sites", None),
            ("POST", "/api/v1/sites", {"name": "x", "start_urls": ["https://x.example/"]}),
            ("POST", "/api/v1/jobs", {"name": "echo"}),
            ("GET", f"/api/v1/jobs/{uuid.uuid4()}", None),
        ]:
            answer = httpx.request(method, web.url + path, json=body, headers=headers, timeout=30)
            assert answer.status_code == 503, (path, answer.text)
            assert int(answer.headers["Retry-After"]) >= 1
        # The worker's heartbeats go on (Redis is up) but its supervision passes fail: it says so.
        wait_for(lambda: supervision() == "failing", what="the failing passes shown")
        body = httpx.get(web.url + "/health", timeout=10).json()
        assert body["status"] == "degraded"
        assert body["worker_heartbeats"]["ai"]["supervision_error"]

        pg.start()
        wait_for(lambda: supervision() == "ok", timeout=60, what="supervision recovered")
        # Several passes after the restart, each one read as it is recorded: each must succeed.
        passes = _passes(env, "ai", 3)
        assert all(ok for ok, _ in passes), (passes, worker.output()[-3000:])

        def submitted() -> str | None:
            answer = httpx.post(
                web.url + "/api/v1/jobs",
                json={"queue": "ai", "name": "echo", "args": {"message": "after the restart"}},
                headers=headers,
                timeout=10,
            )
            assert answer.status_code in (201, 503), answer.text
            return answer.json()["id"] if answer.status_code == 201 else None

        job_id = wait_for(submitted, what="the API back after PostgreSQL")

        def status() -> str:
            return httpx.get(f"{web.url}/api/v1/jobs/{job_id}", headers=headers).json()["status"]

        wait_for(lambda: status() == "succeeded", timeout=60, what="the job run by the worker")
    finally:
        pg.start()
        worker.stop()
        web.stop()
