"""Huey's consumer health checks run in the worker's supervision pass: a Huey worker thread that
died (a task raised past every handler) is replaced, and the queue is consumed again."""

from __future__ import annotations

import uuid

import redis
from huey import PriorityRedisHuey

from sitespeak.assembly import job_registry
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs.tasks import JobQueue
from sitespeak.worker.main import supervise
from tests.support.processes import wait_for


def test_a_supervision_pass_replaces_a_huey_worker_thread_that_died(settings):
    prefix = f"{settings.redis_prefix}-health-{uuid.uuid4().hex[:6]}"
    own = settings.model_copy(update={"redis_prefix": prefix})
    client = redis.Redis.from_url(settings.redis_url)
    # This pass is about the consumer: another worker "holds" the reaper's turn, so it leaves
    # the run's job rows alone.
    client.set(f"{prefix}:reaper", "1", px=60_000)
    huey = PriorityRedisHuey(f"{prefix}.probe", results=False, url=settings.redis_url)
    done: list[str] = []

    @huey.task()
    def die() -> None:
        raise SystemExit("a task that takes its worker thread down with it")

    @huey.task()
    def work(word: str) -> None:
        done.append(word)

    consumer = huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer.start()
    try:
        die()
        thread = consumer.worker_threads[0][1]
        wait_for(lambda: not thread.is_alive(), timeout=60, what="the worker thread to die")
        jobs = JobQueue(job_registry(), EventPublisher(client, prefix))
        supervise(own, client, jobs, [consumer])
        assert consumer.worker_threads[0][1].is_alive()
        work("again")
        wait_for(lambda: done == ["again"], timeout=60, what="the new thread to take a task")
    finally:
        consumer.stop(graceful=True)
        huey.storage.flush_queue()
