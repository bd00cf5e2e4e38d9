"""The schedules: each capability's slots in one registry, checked against the job kinds, and the
pass that submits every scheduled job once per slot, however many workers make it."""

from __future__ import annotations

import datetime as dt

import pytest
import redis

from sitespeak.assembly import job_registry, schedules
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.schedules import SchedulePass, Schedules, Slot, daily, weekly
from sitespeak.jobs.tasks import JobQueue
from sitespeak.maintenance import jobs as maintenance_jobs
from sitespeak.reports import jobs as report_jobs


def test_each_capability_schedules_its_own_kinds():
    kinds = {slot.kind for slot in schedules(job_registry())}
    assert {s.kind for s in maintenance_jobs.SCHEDULE} < kinds
    assert {s.kind for s in report_jobs.SCHEDULE} == {"analytics.weekly_reports"} < kinds
    assert not any(s.kind.startswith("analytics.") for s in maintenance_jobs.SCHEDULE)


def test_a_slot_for_a_kind_no_capability_declares_is_refused_at_start():
    with pytest.raises(ValueError, match="'reports.monthly', which is no job kind"):
        Schedules((Slot("reports.monthly", weekly),), job_registry())


def test_a_kind_two_capabilities_schedule_is_refused_at_start():
    twice = (Slot("maintenance.vacuum", weekly), Slot("maintenance.vacuum", daily))
    with pytest.raises(ValueError, match="'maintenance.vacuum' is scheduled twice"):
        Schedules(twice, job_registry())


def test_each_scheduled_job_is_submitted_once_per_slot_by_any_number_of_workers(
    settings, queue_env, db
):
    queues.bind(settings.model_copy(update={"redis_prefix": queue_env["SITESPEAK_REDIS_PREFIX"]}))
    client = redis.Redis.from_url(settings.redis_url)
    registry = job_registry()
    jobs = JobQueue(registry, EventPublisher(client, queue_env["SITESPEAK_REDIS_PREFIX"]))
    monday = dt.datetime(2031, 3, 3, 3, 0, tzinfo=dt.UTC)  # a slot no other test uses
    first, second = SchedulePass(schedules(registry)), SchedulePass(schedules(registry))
    assert first(jobs, monday) == 5
    assert second(jobs, monday) == 0  # another worker, same slots: nothing new
    assert first(jobs, monday + dt.timedelta(minutes=30)) == 0
    # An hour on: only the hourly disk report is due; a day on, the daily ones too.
    assert second(jobs, monday + dt.timedelta(hours=1)) == 1
    assert first(jobs, monday + dt.timedelta(days=1)) == 3
    keys = [
        j.idempotency_key
        for j in Job.select().where(Job.idempotency_key.is_null(False))
        if ":2031-" in j.idempotency_key
    ]
    assert sorted(keys) == sorted(
        [
            "maintenance.retention:2031-03-03",
            "maintenance.retention:2031-03-04",
            "hosting.sweep_uploads:2031-03-03",
            "hosting.sweep_uploads:2031-03-04",
            "maintenance.vacuum:2031-W10",
            "analytics.weekly_reports:2031-W10",
            "maintenance.disk_usage:2031-03-03T03",
            "maintenance.disk_usage:2031-03-03T04",
            "maintenance.disk_usage:2031-03-04T03",
        ]
    )
