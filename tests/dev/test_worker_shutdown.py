"""A worker told to stop finishes the job it is running, then exits; its other queues' consumers
stop without waiting for that job (each used to be stopped only after the one before it)."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg2
import redis

from sitespeak.assembly import job_registry
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.jobs.worker_status import heartbeat_key
from sitespeak.settings import QUEUES, Settings
from tests.support.processes import Proc, start_worker, wait_for

HELD = QUEUES[0]  # the queue the worker stops first: all the others used to wait behind it


def _started(worker: Proc, settings: Settings) -> None:
    client = redis.Redis.from_url(settings.redis_url)
    wait_for(lambda: "worker consuming" in worker.output(), timeout=60, what="worker start")
    wait_for(lambda: client.hlen(heartbeat_key(settings.redis_prefix)) > 0, what="heartbeat")


def _own(settings: Settings, env: dict[str, str]) -> Settings:
    return settings.model_copy(update={"redis_prefix": env["SITESPEAK_REDIS_PREFIX"]})


def _submit(settings: Settings, tenant_id: int, queue: str, seconds: float) -> Job:
    queues.bind(settings)
    publisher = EventPublisher(redis.Redis.from_url(settings.redis_url), settings.redis_prefix)
    with database.connection_context():
        job, _ = JobQueue(job_registry(), publisher).submit(
            tenant_id, "sleep", {"seconds": seconds}, queue=queue
        )
    return job


def _status(job: Job) -> str:
    with database.connection_context():
        return Job.get_by_id(job.id).status


@contextmanager
def _row_held(database_url: str, job: Job) -> Iterator[int]:
    """The job's row locked by a transaction of the test's own (its backend pid is yielded): a
    worker that takes the job waits in its claim until the block ends."""
    conn = psycopg2.connect(database_url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                f"SELECT id FROM {Job._meta.table_name} WHERE id = %s FOR UPDATE", (str(job.id),)
            )
            cur.execute("SELECT pg_backend_pid()")
            yield cur.fetchone()[0]
        conn.rollback()
    finally:
        conn.close()


def _waiting_on(database_url: str, holder_pid: int) -> int:
    """How many backends wait for a lock the backend ``holder_pid`` holds."""
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
            (holder_pid,),
        )
        return cur.fetchone()[0]


def _watch(worker: Proc, predicate: Callable[[], bool], what: str) -> None:
    try:
        wait_for(predicate, timeout=90, every=0.1, what=what)
    except TimeoutError as timed_out:
        raise AssertionError(f"{timed_out}\n{worker.output()}") from None


def _stopped(worker: Proc, queue: str) -> bool:
    return f"queue {queue}: consumer stopped" in worker.output()


def test_a_worker_stops_its_other_queues_while_one_job_still_holds_its_own(
    queue_env, settings, alice, tmp_path
) -> None:
    # The job is queued before the worker starts and its row is locked, so the worker's claim
    # waits on the lock: a job held for exactly as long as the test needs, however slow the box.
    job = _submit(_own(settings, queue_env), alice.tenant.id, HELD, 0)
    with _row_held(settings.database_url, job) as holder:
        worker = start_worker(queue_env, tmp_path)
        try:
            _watch(worker, lambda: _waiting_on(settings.database_url, holder) > 0, "the claim")
            worker.popen.send_signal(signal.SIGTERM)
            others = [q for q in QUEUES if q != HELD]
            _watch(worker, lambda: all(_stopped(worker, q) for q in others), "the others' stop")
            assert worker.popen.poll() is None, worker.output()  # the held job keeps it
            assert not _stopped(worker, HELD), worker.output()
        except BaseException:
            worker.stop(signal.SIGKILL)
            raise
    assert worker.stop(signal.SIGTERM, timeout=90) == 0, worker.output()
    assert _stopped(worker, HELD), worker.output()
    assert _status(job) == "succeeded", worker.output()


def test_a_worker_stopping_mid_job_finishes_the_job_first(
    queue_env, settings, alice, tmp_path
) -> None:
    own = _own(settings, queue_env)
    worker = start_worker(queue_env, tmp_path)
    _started(worker, own)
    job = _submit(own, alice.tenant.id, "maintenance", 2)
    wait_for(lambda: _status(job) == "running", timeout=60, what="job running")
    # A hang guard only: the worker exits by itself once the job is done.
    assert worker.stop(signal.SIGTERM, timeout=90) == 0, worker.output()
    assert _status(job) == "succeeded", worker.output()
