"""The weekly VACUUM (ANALYZE), the hourly disk-usage report and the schedule that submits the
maintenance jobs once per slot, however many workers pass it."""

from __future__ import annotations

import datetime as dt

import redis

from sitespeak.assembly import job_registry
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from sitespeak.maintenance import upkeep
from sitespeak.maintenance.jobs import MaintenanceSchedule


def test_vacuum_analyze_covers_the_busy_tables(db):
    assert set(upkeep.vacuum_analyze()) == set(upkeep.BUSY_TABLES)


def test_disk_usage_reports_the_database_and_state_dir_and_warns_below_the_threshold(db, tmp_path):
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "a.pcm").write_bytes(b"\0" * 4096)
    calm = upkeep.disk_usage(tmp_path, warn_free_percent=0)
    assert calm["database_bytes"] > 0 and calm["state_dir_bytes"] == 4096
    assert 0 < calm["disk_free_percent"] <= 100 and calm["warning"] is False
    assert upkeep.disk_usage(tmp_path, warn_free_percent=100.0)["warning"] is True


def test_each_maintenance_job_is_submitted_once_per_slot_by_any_number_of_workers(
    settings, queue_env, db
):
    queues.bind(settings.model_copy(update={"redis_prefix": queue_env["SITESPEAK_REDIS_PREFIX"]}))
    client = redis.Redis.from_url(settings.redis_url)
    jobs = JobQueue(job_registry(), EventPublisher(client, queue_env["SITESPEAK_REDIS_PREFIX"]))
    monday = dt.datetime(2031, 3, 3, 3, 0, tzinfo=dt.UTC)  # a slot no other test uses
    first, second = MaintenanceSchedule(), MaintenanceSchedule()
    assert first(jobs, monday) == 4
    assert second(jobs, monday) == 0  # another worker, same slots: nothing new
    assert first(jobs, monday + dt.timedelta(minutes=30)) == 0
    # An hour on: only the hourly disk report is due; a day on, the daily retention too.
    assert second(jobs, monday + dt.timedelta(hours=1)) == 1
    assert first(jobs, monday + dt.timedelta(days=1)) == 2
    keys = [
        j.idempotency_key
        for j in Job.select().where(Job.idempotency_key.is_null(False))
        if ":2031-" in j.idempotency_key
    ]
    assert sorted(keys) == sorted(
        [
            "maintenance.retention:2031-03-03",
            "maintenance.retention:2031-03-04",
            "maintenance.vacuum:2031-W10",
            "analytics.weekly_reports:2031-W10",
            "maintenance.disk_usage:2031-03-03T03",
            "maintenance.disk_usage:2031-03-03T04",
            "maintenance.disk_usage:2031-03-04T03",
        ]
    )
