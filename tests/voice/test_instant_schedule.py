"""When instant answers are prepared: after each change of a site's knowledge (once per knowledge
version, whoever announces it) and once a day for every crawled site."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import redis

from sitespeak.assembly import job_registry
from sitespeak.db.models import Job, Site, utcnow
from sitespeak.events.bus import EventPublisher
from sitespeak.instant.jobs import PREPARE, DailyPreparation, PrepareArgs, prepare_answers
from sitespeak.jobs import queues
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.tasks import JobQueue
from sitespeak.knowledge.indexing import announce


@pytest.fixture()
def jobs(settings, queue_env, db):
    """The job queue on queues of the test's own; the preparations it submits are deleted after
    (no worker of another test may run them)."""
    prefix = queue_env["SITESPEAK_REDIS_PREFIX"]
    queues.bind(settings.model_copy(update={"redis_prefix": prefix}))
    queue = JobQueue(
        job_registry(), EventPublisher(redis.Redis.from_url(settings.redis_url), prefix)
    )
    started = utcnow()
    yield queue
    Job.delete().where(Job.name == PREPARE, Job.created_at >= started).execute()


def _preparations(site: Site) -> list[Job]:
    return list(
        Job.select()
        .where(Job.name == PREPARE, Job.args["site_id"] == str(site.id))
        .order_by(Job.created_at)
    )


def _crawled(site: Site) -> Site:
    Site.update(last_crawl_at=utcnow()).where(Site.id == site.id).execute()
    return site


def test_a_knowledge_change_prepares_the_sites_answers_once_per_knowledge_version(
    jobs, make_site, alice
):
    site = make_site(alice.tenant)
    announce(jobs.publish, site)
    announce(jobs.publish, site)  # the same version announced again: no second job
    [first] = _preparations(site)
    assert first.tenant_id == alice.tenant.id and first.queue == "voice"
    assert first.args == {"site_id": site.id, "version": 0}

    Site.update(knowledge_version=Site.knowledge_version + 1).where(Site.id == site.id).execute()
    announce(jobs.publish, site)
    assert [j.args["version"] for j in _preparations(site)] == [0, 1]


def test_the_daily_pass_prepares_every_crawled_site_once_a_day_for_its_own_tenant(
    jobs, make_site, alice, charlie
):
    ours, theirs = _crawled(make_site(alice.tenant)), _crawled(make_site(charlie.tenant))
    never_crawled = make_site(alice.tenant)
    day = dt.datetime(2031, 5, 5, 0, 1, tzinfo=dt.UTC)  # a day no other test uses
    first, second = DailyPreparation(), DailyPreparation()  # two workers' schedules
    assert first(jobs, day) >= 2
    second(jobs, day + dt.timedelta(hours=3))
    first(jobs, day + dt.timedelta(hours=23))
    assert [j.idempotency_key for j in _preparations(ours)] == [f"instant:{ours.id}:2031-05-05"]
    [job] = _preparations(theirs)
    assert job.tenant_id == charlie.tenant.id
    assert _preparations(never_crawled) == []

    second(jobs, day + dt.timedelta(days=1))
    assert [j.idempotency_key for j in _preparations(ours)] == [
        f"instant:{ours.id}:2031-05-05",
        f"instant:{ours.id}:2031-05-06",
    ]


def test_with_instant_answers_off_nothing_is_prepared_by_itself(settings, make_site, alice):
    from sitespeak.assembly import periodics

    registry = job_registry(instant_answers=False)
    assert registry.reactions_to("knowledge-base.updated") == []
    assert "instant" not in [p.name for p in periodics(registry, instant_answers=False)]
    assert "instant" in [p.name for p in periodics(job_registry(), instant_answers=True)]


def test_a_preparation_outrun_by_a_newer_knowledge_version_leaves_the_work_to_that_ones(
    jobs, make_site, alice, settings
):
    site = make_site(alice.tenant)
    Site.update(knowledge_version=3).where(Site.id == site.id).execute()
    # No speech process answers on this socket: the job must not need one to step aside.
    unreachable = settings.model_copy(update={"speech_socket": "127.0.0.1:9"})
    ctx = JobContext(uuid.uuid4(), alice.tenant.id, "voice", 1, unreachable, jobs.publish, jobs)
    outcome = prepare_answers(ctx, PrepareArgs(site_id=site.id, version=2))
    assert outcome == {"site_id": site.id, "superseded_by": 3}
