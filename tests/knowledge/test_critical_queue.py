"""A site's first crawl that a person started runs on the critical queue, with its embedding;
recrawls and the schedule's crawls stay on the crawler queue."""

from __future__ import annotations

import redis

from sitespeak.assembly import job_registry
from sitespeak.crawl.refresh import request_crawl, schedule_due
from sitespeak.db.models import Job, Site, utcnow
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import queues
from sitespeak.jobs.tasks import JobQueue


def job_queue(settings, queue_env) -> JobQueue:
    prefix = queue_env["SITESPEAK_REDIS_PREFIX"]
    queues.bind(settings.model_copy(update={"redis_prefix": prefix}))
    return JobQueue(
        job_registry(), EventPublisher(redis.Redis.from_url(settings.redis_url), prefix)
    )


def close(job: Job) -> None:
    Job.update(status="succeeded", finished_at=utcnow()).where(Job.id == job.id).execute()


def test_a_first_crawl_started_by_its_owner_goes_on_the_critical_queue(
    alice, make_site, settings, queue_env, testsite
):
    jobs = job_queue(settings, queue_env)
    site = make_site(alice.tenant, testsite.url)
    first, created = request_crawl(jobs, alice.tenant.id, site.id, by_person=True)
    assert created and first.queue == "critical"
    close(first)
    Site.update(last_crawl_at=utcnow()).where(Site.id == site.id).execute()
    again, _ = request_crawl(jobs, alice.tenant.id, site.id, by_person=True)
    assert again.queue == "crawler"  # crawled before: a recrawl waits its turn


def test_the_schedule_never_uses_the_critical_queue(
    alice, make_site, settings, queue_env, testsite
):
    jobs = job_queue(settings, queue_env)
    site = make_site(alice.tenant, testsite.url)
    Site.update(schedule="hourly").where(Site.id == site.id).execute()
    started = schedule_due(jobs)
    mine = Job.get(Job.id.in_(started), Job.args["site_id"] == str(site.id))
    assert mine.queue == "crawler"
    close(mine)
    Site.update(schedule="never").where(Site.id == site.id).execute()
