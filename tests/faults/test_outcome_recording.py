"""PostgreSQL stopped while jobs run: one job finishes while the database is down (its result
cannot be recorded then), another runs on through the outage, which lasts longer than a job's
heartbeat may go stale. Each is recorded once, when the database is back, and neither runs a
second time: its worker is alive, so the reaper leaves its claim alone."""

from __future__ import annotations

import time
import uuid

import httpx
import psycopg2
import psycopg2.extensions
import pytest
import redis

from tests.faults.conftest import Stack, recovered
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
OUTAGE = 6.0  # twice SITESPEAK_JOB_STALE_AFTER (3 s in the tests' environment)
FINISHING = 8.0  # seconds: ample for the test to lock the job's row before it ends
SPANNING = 30.0  # seconds: the longest sleep job, so that it runs on past the outage


def _submit(stack: Stack, seconds: float) -> str:
    answer = httpx.post(
        f"{stack.web.url}/api/v1/jobs",
        headers={"Authorization": f"Bearer {stack.pg.token}"},
        json={
            "name": "sleep",
            "args": {"seconds": seconds},
            "idempotency_key": f"outage-{uuid.uuid4().hex}",
        },
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _held(stack: Stack) -> tuple[str, psycopg2.extensions.connection]:
    """A running job whose row a transaction of the test's has locked: it cannot record its
    outcome until the lock goes, which the outage's fast shutdown makes it do, so it ends during
    the outage however slowly the box got the outage going. A job that finished before the
    test could lock it (the test process stalled for its whole run) is not the case under
    test: another is tried."""
    for _ in range(3):
        job_id = _submit(stack, FINISHING)
        wait_for(lambda j=job_id: stack.job(j)["status"] != "queued", 60, 0.1, "the job running")
        conn = psycopg2.connect(stack.pg.url)
        with conn.cursor() as cur:
            cur.execute("SELECT status FROM jobs WHERE id = %s FOR UPDATE", (job_id,))
            if cur.fetchone()[0] == "running":
                return job_id, conn
        conn.close()
    raise AssertionError("every job finished before the test could hold it, three times")


def _queued_messages(stack: Stack, job_ids: tuple[str, ...]) -> list[bytes]:
    """Every message (queued or scheduled) in the stack's Redis that names one of the jobs."""
    client = redis.Redis.from_url(stack.redis.url)
    found = []
    for key in client.scan_iter(match=f"{stack.env['SITESPEAK_REDIS_PREFIX']}*"):
        if client.type(key) == b"zset":
            members = client.zrange(key, 0, -1)
        elif client.type(key) == b"list":
            members = client.lrange(key, 0, -1)
        else:
            continue
        found += [m for m in members if any(j.encode() in m for j in job_ids)]
    return found


def test_jobs_running_through_a_postgresql_outage_are_recorded_once_and_never_run_again(
    stack: Stack,
):
    spanning = _submit(stack, SPANNING)  # starts before the outage and ends after it
    wait_for(lambda: stack.job(spanning)["status"] == "running", 60, 0.1, "the long job running")
    finishing, lock = _held(stack)  # ends while the database is down
    stack.pg.stop()
    try:
        # The outage lasts until the finished job has tried to record its outcome and been
        # refused, and at least OUTAGE seconds: longer than a heartbeat may go stale.
        down = time.monotonic()
        wait_for(
            lambda: f"job {finishing}: outcome not recorded yet" in stack.worker.output(),
            90,
            0.1,
            "the finished job's outcome refused by the outage",
        )
        time.sleep(max(down + OUTAGE - time.monotonic(), 0))
    finally:
        lock.close()
        stack.pg.start()
    recovered(stack)
    for job_id in (finishing, spanning):
        done = wait_for(
            lambda j=job_id: (job := stack.job(j))["status"] in ("succeeded", "dead") and job,
            90,
            0.3,
            f"job {job_id} recorded",
        )
        assert done["status"] == "succeeded" and done["attempts"] == 1, done
    # Nothing is left to run them again later: no message names them, and a succeeded job is
    # never claimed again (a claim takes only queued or failed ones; the reaper only running).
    assert _queued_messages(stack, (finishing, spanning)) == []
