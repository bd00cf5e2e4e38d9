"""The recrawl schedule: a due site gets one crawl job; a fresh or unscheduled site none; one
crawl per site and slot however many passes run; and the worker runs it as a Huey periodic
task by itself."""

from __future__ import annotations

import datetime as dt

import pytest
import redis

from sitespeak import sites
from sitespeak.assembly import job_registry
from sitespeak.crawl.refresh import due_sites, open_crawl, schedule_due
from sitespeak.db.models import Job, Site, utcnow
from sitespeak.events.bus import EventPublisher, nowhere
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue
from tests.support.processes import start_worker, wait_for


def _jobs(settings) -> JobQueue:
    return JobQueue(
        job_registry(), EventPublisher(redis.Redis.from_url(settings.redis_url), "schedule")
    )


def _scheduled_crawls(site_id: int) -> list[Job]:
    return list(Job.select().where(Job.name == "crawl.site", Job.args["site_id"] == str(site_id)))


def test_a_due_site_gets_exactly_one_crawl_and_a_fresh_one_none(
    alice, make_site, settings, testsite
):
    queues.bind(settings)
    due = make_site(alice.tenant, testsite.url)
    sites.update_site(alice.tenant.id, due.id, publish=nowhere, schedule="hourly")
    fresh = make_site(alice.tenant, testsite.url)
    sites.update_site(alice.tenant.id, fresh.id, publish=nowhere, schedule="daily")
    Site.update(last_crawl_at=utcnow() - dt.timedelta(hours=2)).where(Site.id == fresh.id).execute()
    never = make_site(alice.tenant, testsite.url)
    assert {due.id} <= {s.id for s in due_sites()}
    assert not {fresh.id, never.id} & {s.id for s in due_sites()}

    jobs = _jobs(settings)
    started = schedule_due(jobs)
    job = open_crawl(due.id)
    assert job is not None and str(job.id) in started and job.queue == "crawler"
    assert str(job.id) not in schedule_due(jobs)  # open already: no second one
    assert (
        Job.select().where(Job.name == "crawl.site", Job.args["site_id"] == str(due.id)).count()
        == 1
    )
    assert open_crawl(fresh.id) is None and open_crawl(never.id) is None


def test_a_second_pass_in_the_same_slot_adds_no_crawl_even_after_the_first_finished(
    alice, make_site, settings, testsite
):
    queues.bind(settings)
    site = make_site(alice.tenant, testsite.url)
    sites.update_site(alice.tenant.id, site.id, publish=nowhere, schedule="hourly")
    jobs = _jobs(settings)
    # Ten past the hour: "a minute later" must stay in the same hourly slot whenever the test
    # runs (at 18:59 it crossed into the next slot and failed).
    now = utcnow().replace(minute=10, second=0, microsecond=0)
    # Only this site's crawls are counted: other tests' scheduled sites may fall due too.
    schedule_due(jobs, now)
    (first,) = _scheduled_crawls(site.id)
    # The crawl ended without updating the site (it failed, say): the site is still due, and
    # another worker's pass in the same hour must not start a second one.
    Job.update(status="dead").where(Job.id == first.id).execute()
    schedule_due(jobs, now + dt.timedelta(minutes=1))
    assert len(_scheduled_crawls(site.id)) == 1
    schedule_due(jobs, now + dt.timedelta(hours=1))
    assert len(_scheduled_crawls(site.id)) == 2  # the next slot: again


@pytest.mark.slow  # a real worker
def test_a_worker_runs_the_recrawl_schedule_as_a_periodic_task(
    alice, make_site, settings, testsite, queue_env, tmp_path
):
    site = make_site(alice.tenant, testsite.url)
    # Never crawled: due now.
    sites.update_site(alice.tenant.id, site.id, publish=nowhere, schedule="daily")
    # Only the maintenance queue: the crawl is submitted, not run. At debug level, Huey's
    # consumer lists its tasks (at info its lines are kept out of the console).
    worker = start_worker(
        {**queue_env, "SITESPEAK_WORKER_QUEUES": "maintenance", "SITESPEAK_LOG_LEVEL": "debug"},
        tmp_path,
    )
    try:
        crawls = wait_for(
            lambda: _scheduled_crawls(site.id), timeout=60, every=0.3, what="a scheduled crawl"
        )
    finally:
        assert worker.stop() == 0, worker.output()
    assert [job.idempotency_key.split(":")[:3] for job in crawls] == [
        ["recrawl", str(site.id), "daily"]
    ]
    assert "periodic.recrawl" in worker.output()  # Huey's consumer lists it among its tasks
