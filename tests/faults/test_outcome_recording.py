"""PostgreSQL stopped while jobs run: one job finishes while the database is down (its result
cannot be recorded then), another runs on through the outage, which lasts longer than a job's
heartbeat may go stale. Each is recorded once, when the database is back, and neither runs a
second time: its worker is alive, so the reaper leaves its claim alone."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.faults.conftest import Stack, recovered
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
OUTAGE = 6.0  # twice SITESPEAK_JOB_STALE_AFTER (3 s in the tests' environment)


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


def test_jobs_running_through_a_postgresql_outage_are_recorded_once_and_never_run_again(
    stack: Stack,
):
    finishing = _submit(stack, 2.0)  # ends while the database is down
    spanning = _submit(stack, OUTAGE + 6)  # starts before the outage and ends after it
    for job_id in (finishing, spanning):
        wait_for(lambda j=job_id: stack.job(j)["status"] == "running", 60, 0.1, "jobs running")
    stack.pg.stop()
    try:
        time.sleep(OUTAGE)
    finally:
        stack.pg.start()
    recovered(stack)
    for job_id in (finishing, spanning):
        done = wait_for(
            lambda j=job_id: (job := stack.job(j))["status"] in ("succeeded", "dead") and job,
            60,
            0.3,
            f"job {job_id} recorded",
        )
        assert done["status"] == "succeeded" and done["attempts"] == 1, done
    # Nothing is left to run again later: no message waits and no claim is held.
    time.sleep(4)
    assert [stack.job(j)["attempts"] for j in (finishing, spanning)] == [1, 1]
