"""A worker told to stop finishes the job it is running, then stops all six consumers together
(each used to wait out its own blocking Redis read in turn)."""

from __future__ import annotations

import signal
import time

import redis

from sitespeak.assembly import job_registry
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.jobs.worker_status import heartbeat_key
from tests.support.processes import start_worker, wait_for


def _started(worker, settings) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    wait_for(lambda: "worker consuming" in worker.output(), timeout=60, what="worker start")
    wait_for(lambda: client.hlen(heartbeat_key(settings.redis_prefix)) > 0, what="heartbeat")


def _stop_seconds(worker) -> tuple[int, float]:
    began = time.monotonic()
    rc = worker.stop(signal.SIGTERM, timeout=30)
    return rc, time.monotonic() - began


def test_an_idle_worker_stops_its_six_consumers_together_on_sigterm(
    base_env, settings, tmp_path
) -> None:
    worker = start_worker(base_env, tmp_path)
    _started(worker, settings)
    rc, seconds = _stop_seconds(worker)
    assert rc == 0, worker.output()
    # One blocking read lasts up to 1 s; six in turn took over 6 s.
    assert seconds < 4, f"took {seconds:.1f}s\n{worker.output()}"


def test_a_worker_stopping_mid_job_finishes_the_job_first(
    base_env, settings, alice, tmp_path
) -> None:
    worker = start_worker(base_env, tmp_path)
    _started(worker, settings)
    queues.bind(settings)
    publisher = EventPublisher(redis.Redis.from_url(settings.redis_url), settings.redis_prefix)
    with database.connection_context():
        job, _ = JobQueue(job_registry(), publisher).submit(
            alice.tenant.id, "sleep", {"seconds": 2}, queue="maintenance"
        )

    def status() -> str:
        with database.connection_context():
            return Job.get_by_id(job.id).status

    wait_for(lambda: status() == "running", timeout=60, what="job running")
    rc, seconds = _stop_seconds(worker)
    assert rc == 0, worker.output()
    assert status() == "succeeded", worker.output()
    assert seconds < 2 + 4, f"took {seconds:.1f}s\n{worker.output()}"
