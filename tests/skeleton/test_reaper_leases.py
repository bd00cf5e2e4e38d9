"""The reaper and worker leases: a running job whose heartbeat went stale is left to its worker
while that worker's lease in Redis is alive (a PostgreSQL outage stops every heartbeat, not the
worker), and taken once the lease has expired (the worker is gone)."""

from __future__ import annotations

import datetime as dt
import uuid

import redis

from sitespeak.db.models import Job, utcnow
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import diagnostics, ledger, queues, reaper, worker_status


def _stale_running_job(tenant_id: int, holder: str) -> Job:
    sleep = next(kind for kind in diagnostics.KINDS if kind.name == "sleep")
    job, _ = ledger.create(tenant_id, sleep, {"seconds": 1})
    Job.update(max_attempts=1).where(Job.id == job.id).execute()  # reaped: dead, not re-queued
    claimed = ledger.claim(job.id, holder)
    assert claimed is not None and ledger.holder_of(claimed) == holder
    old = utcnow() - dt.timedelta(hours=1)
    Job.update(heartbeat_at=old).where(Job.id == job.id).execute()
    return claimed


def test_a_stale_job_is_left_to_a_live_worker_and_taken_once_its_lease_expires(settings, alice, db):
    quiet = settings.model_copy(update={"job_lost_after": 10**9})  # only stale jobs, here
    queues.bind(quiet)
    client = redis.Redis.from_url(settings.redis_url)
    publisher = EventPublisher(client, settings.redis_prefix)
    holder = f"test-worker-{uuid.uuid4().hex[:8]}"
    job = _stale_running_job(alice.tenant.id, holder)
    worker_status.renew_lease(client, quiet, holder)

    def alive(name: str) -> bool:
        return worker_status.lease_alive(client, quiet, name)

    reaper.reap(quiet, publisher, alive)
    assert Job.get_by_id(job.id).status == "running"  # its worker is alive: left to it

    client.delete(worker_status.lease_key(quiet.redis_prefix, holder))  # the lease ran out
    reaper.reap(quiet, publisher, alive)
    reaped = Job.get_by_id(job.id)
    assert reaped.status == "dead" and "worker lost" in reaped.last_error
    # The late worker's outcome no longer counts: the claim was taken from it.
    assert ledger.succeed(job, {"late": True}) is False
