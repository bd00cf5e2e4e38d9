"""The worker process: Huey consumers for the configured queues, the schedules as Huey periodic
tasks (on the maintenance queue), and a supervision loop: heartbeats, Huey's consumer health
checks and the reaper.

Huey treats SIGTERM as an immediate stop, but honcho and systemd send SIGTERM, so here both
SIGTERM and SIGINT mean "finish the running tasks, then exit 0"; a long job stops at its next
stop point and is queued again to resume elsewhere (``jobs.tasks.stop_jobs``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence

import redis
from huey.consumer import Consumer

from sitespeak.db.connection import database, open_database
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import ingest, periodic, queues, reaper, tasks, worker_status  # noqa: F401
from sitespeak.jobs.periodic import Periodic
from sitespeak.jobs.registry import JobRegistry
from sitespeak.jobs.tasks import JobQueue
from sitespeak.settings import Settings

log = logging.getLogger("sitespeak.worker")


def run_worker(
    settings: Settings, registry: JobRegistry, periodics: Sequence[Periodic] = ()
) -> int:
    # First: a SIGTERM while the consumers start must still mean "stop gracefully".
    stop = threading.Event()
    _stop_on_signals(stop)
    # Every worker thread may hold a connection while a beat takes another, plus supervision.
    needed = 2 * len(settings.queues) * settings.worker_threads + 2
    open_database(settings.database_url, max(settings.db_pool_size, needed))
    queues.bind(settings)
    client = redis.Redis.from_url(settings.redis_url)
    publisher = EventPublisher(client, settings.redis_prefix)
    jobs = JobQueue(registry, publisher)
    tasks.serve(jobs)
    periodic.register(periodics, jobs)
    _quiet_huey(settings)
    _report_stopped_queues(settings.queues, settings.worker_threads)
    consumers = [_start_consumer(name, settings, periodics) for name in settings.queues]
    log.info(
        "worker consuming %s with %s threads each",
        ", ".join(settings.queues),
        settings.worker_threads,
    )
    while not stop.is_set():
        supervise(settings, client, jobs, consumers)
        stop.wait(settings.heartbeat_interval)
    log.info("stopping: letting running tasks finish")
    # The running jobs first: a long one stops at its next stop point and is queued again, and
    # every consumer thread that ends from now on counts towards its queue's "stopped" line.
    tasks.stop_jobs()
    # Raise every stop flag before joining any: each consumer's blocking Redis read then ends
    # in the same ~1 s, instead of one after another, and a job still running on one queue
    # holds only its own consumer, not the queues joined after it.
    for consumer in consumers:
        consumer.stop_flag.set()
    for consumer in consumers:
        consumer.stop(graceful=True)
    log.info("worker stopped")
    return 0


class _OurSignals(Consumer):
    """A Huey consumer that leaves the process's signal handlers alone. Its start() installed
    Huey's, which only its run() loop (not used here) acts on: a SIGTERM arriving while the
    consumers started was swallowed, and the worker never stopped. Blocking the signals around
    the start was not enough: a thread started earlier could take the signal meanwhile."""

    def _set_signal_handlers(self) -> None:
        pass


def _start_consumer(name: str, settings: Settings, periodics: Sequence[Periodic]) -> Consumer:
    # Huey's scheduler enqueues the periodic tasks on the queue they belong to; its locks are
    # flushed at start in case a worker killed mid-pass left one held.
    schedules = bool(periodics) and name == periodic.QUEUE
    consumer = _OurSignals(
        queues.HUEYS[name],
        workers=settings.worker_threads,
        worker_type="thread",
        periodic=schedules,
        flush_locks=schedules,
        initial_delay=0.05,
        max_delay=1.0,
        check_worker_health=True,
    )
    consumer.start()
    return consumer


def _quiet_huey(settings: Settings) -> None:
    """Keep Huey's INFO lines out of the console unless asked for debug logs: with one consumer
    per queue its banner printed six times over, and it logs every task start and finish, which
    the job ledger and our own "job ... finished" lines already record."""
    if settings.log_level != "debug":
        logging.getLogger("huey").setLevel(logging.WARNING)


def _report_stopped_queues(names: Sequence[str], threads: int) -> None:
    """Log each queue once the last of its consumer threads has ended during the stop: the
    operator sees which queue a long job still holds, and that the others did not wait for it.
    A thread that died before the stop (Huey starts another) is not counted."""
    left = dict.fromkeys(names, threads)
    lock = threading.Lock()

    def hook(name: str) -> Callable[[], None]:
        def thread_ended() -> None:
            if not tasks.stopping():
                return
            with lock:
                left[name] -= 1
                if left[name] == 0:
                    log.info("queue %s: consumer stopped", name)

        return thread_ended

    for name in names:
        queues.HUEYS[name].on_shutdown(name="sitespeak-stopped")(hook(name))


def _stop_on_signals(stop: threading.Event) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())


def supervise(
    settings: Settings, client: redis.Redis, jobs: JobQueue, consumers: Sequence[Consumer]
) -> None:
    """One supervision pass: Huey's consumer health checks, this worker's heartbeat, the reaper
    (one worker per interval), and how the pass went, for /health."""
    now = time.time()
    problem = None
    for consumer in consumers:
        # What Consumer.run() would do every few seconds: restart a worker thread or scheduler
        # that died (Huey logs which). Our loop stands in for run(), so it calls it.
        consumer.check_worker_health()
    try:
        worker_status.record_heartbeat(client, settings, now)
        # First, apart from the database: alive while PostgreSQL is down, so no other worker's
        # reaper takes this worker's jobs when it comes back.
        worker_status.renew_lease(client, settings, tasks.HOLDER)
        # A connection taken and given back on every pass: one kept across passes died with a
        # PostgreSQL restart and failed every pass after it. Taking it checks the database.
        with database.connection_context():
            # One reaper pass per interval across all workers. Not Huey's lock_task: its TTL
            # needs hash-field expiry (Redis 7.4+; Debian 12 has 7.0), and a lock that outlives
            # a killed holder would stop the very recovery the reaper exists for. The reaper
            # stays here, not in a periodic task: Huey checks those once a minute, the reaper
            # runs every heartbeat interval.
            if client.set(
                f"{settings.redis_prefix}:reaper",
                "1",
                nx=True,
                px=int(settings.heartbeat_interval * 900),
            ):
                # This very process is alive, whatever its lease says: a pass slowed past the
                # lease (PostgreSQL coming back, a busy box) must not take its own jobs.
                reaper.reap(
                    settings,
                    jobs.publisher,
                    lambda holder: (
                        holder == tasks.HOLDER
                        or worker_status.lease_alive(client, settings, holder)
                    ),
                )
    except Exception as exc:  # noqa: BLE001 - a Redis or Postgres blip must not stop the worker
        problem = f"{type(exc).__name__}: {exc}".strip()[:300]
        log.exception("supervision pass failed; will retry")
    # Heartbeats alone stayed green while every pass failed: the outcome is reported too.
    try:
        worker_status.record_supervision(client, settings, now, problem)
    except redis.RedisError:
        pass  # Redis is what failed: readiness and the missing heartbeats already say so
