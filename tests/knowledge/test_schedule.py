"""The recrawl schedule: a due site gets one crawl job; a fresh or unscheduled site none."""

from __future__ import annotations

import datetime as dt

import redis

from sitespeak import sites
from sitespeak.assembly import job_registry
from sitespeak.crawl.refresh import due_sites, open_crawl, schedule_due
from sitespeak.db.models import Job, Site, utcnow
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue


def test_a_due_site_gets_exactly_one_crawl_and_a_fresh_one_none(
    alice, make_site, settings, testsite
):
    queues.bind(settings)
    due = make_site(alice.tenant, testsite.url)
    sites.update_site(alice.tenant.id, due.id, schedule="hourly")
    fresh = make_site(alice.tenant, testsite.url)
    sites.update_site(alice.tenant.id, fresh.id, schedule="daily")
    Site.update(last_crawl_at=utcnow() - dt.timedelta(hours=2)).where(Site.id == fresh.id).execute()
    never = make_site(alice.tenant, testsite.url)
    assert {due.id} <= {s.id for s in due_sites()}
    assert not {fresh.id, never.id} & {s.id for s in due_sites()}

    jobs = JobQueue(
        job_registry(), EventPublisher(redis.Redis.from_url(settings.redis_url), "schedule")
    )
    started = schedule_due(jobs)
    job = open_crawl(due.id)
    assert job is not None and str(job.id) in started and job.queue == "crawler"
    assert str(job.id) not in schedule_due(jobs)  # open already: no second one
    assert (
        Job.select().where(Job.name == "crawl.site", Job.args["site_id"] == str(due.id)).count()
        == 1
    )
    assert open_crawl(fresh.id) is None and open_crawl(never.id) is None
