"""Job queue benchmark: enqueue→start latency (p50/p95) and jobs/s for a no-op task, through the
real ledger, Huey on Redis and a real worker process. Goal: enqueue→start p95 ≤ 20 ms."""

from __future__ import annotations

import argparse
import time

from _stack import bench_services, env_for, percentile, settings_for

from sitespeak.assembly import job_registry
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.tenancy.tenants import create_tenant
from tests.support.processes import start_worker, wait_for


def _all_done(ids: list) -> bool:
    return Job.select().where(Job.id.in_(ids), Job.status == "succeeded").count() == len(ids)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--latency-jobs", type=int, default=200)
    parser.add_argument("--burst-jobs", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    opts = parser.parse_args()
    with bench_services() as (found, state):
        import redis

        settings = settings_for(found)
        queues.bind(settings)
        publisher = EventPublisher(redis.Redis.from_url(found.redis_url), found.redis_prefix)
        jobs = JobQueue(job_registry(), publisher)
        worker = start_worker(
            env_for(
                found,
                state,
                SITESPEAK_WORKER_QUEUES="ai",
                SITESPEAK_WORKER_THREADS=str(opts.threads),
            ),
            state,
        )
        time.sleep(2)
        with database.connection_context():
            tenant, _ = create_tenant("bench")
            latency_ids = []
            for _ in range(opts.latency_jobs):  # one at a time: an idle queue's latency
                job, _ = jobs.submit(tenant.id, "echo", {}, queue="ai")
                latency_ids.append(job.id)
                time.sleep(0.01)
            wait_for(lambda: _all_done(latency_ids), timeout=60, what="latency jobs")
            rows = Job.select().where(Job.id.in_(latency_ids))
            waits = [(r.started_at - r.enqueued_at).total_seconds() * 1000 for r in rows]
            start = time.perf_counter()
            burst_ids = [
                jobs.submit(tenant.id, "echo", {}, queue="ai")[0].id for _ in range(opts.burst_jobs)
            ]
            submitted = time.perf_counter() - start
            wait_for(lambda: _all_done(burst_ids), timeout=300, every=0.05, what="burst")
            total = time.perf_counter() - start
        worker.stop()
    print(
        f"enqueue→start latency over {len(waits)} jobs: p50 {percentile(waits, 50):.1f} ms, "
        f"p95 {percentile(waits, 95):.1f} ms, max {max(waits):.1f} ms (goal p95 ≤ 20 ms)"
    )
    print(
        f"burst of {opts.burst_jobs} no-op jobs, 1 worker process × {opts.threads} threads: "
        f"submitted at {opts.burst_jobs / submitted:.0f} jobs/s, completed at "
        f"{opts.burst_jobs / total:.0f} jobs/s"
    )


if __name__ == "__main__":
    main()
