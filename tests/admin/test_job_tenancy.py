"""Jobs and tenants: a tenant submits only the job kinds meant for tenants, with arguments that
name its own things, and a worker runs a job only on what belongs to the job's tenant."""

from __future__ import annotations

import uuid

import pytest
import redis

from sitespeak import sites
from sitespeak.assembly import job_registry
from sitespeak.db.connection import database
from sitespeak.db.models import Job
from sitespeak.errors import NotFound
from sitespeak.events.bus import EventPublisher
from sitespeak.jobs import ledger, queues, tasks
from sitespeak.jobs.tasks import JobQueue
from sitespeak.knowledge.models import CrawlRun


@pytest.fixture()
def alices_site(alice):
    with database.connection_context():
        return sites.create_site(
            alice.tenant.id, f"Alice shop {uuid.uuid4().hex[:6]}", ["https://alice.example/"]
        )


def _jobs_of(tenant_id: int, site_id: int) -> int:
    with database.connection_context():
        return (
            Job.select().where(Job.tenant == tenant_id, Job.args["site_id"] == str(site_id)).count()
        )


@pytest.mark.parametrize("name", ["crawl.site", "knowledge.embed", "voice.prepare_answers"])
async def test_a_tenant_cannot_submit_a_site_job_by_name_for_another_tenants_site(
    app, alice, charlie, alices_site, name
):
    response = await app.test_client().post(
        "/api/v1/jobs",
        json={"name": name, "args": {"site_id": alices_site.id}},
        headers={"Authorization": f"Bearer {charlie.token}"},
    )
    body = await response.get_json()
    assert response.status_code == 422, body
    assert response.content_type == "application/problem+json"
    assert name in body["detail"] and "echo" in body["detail"]  # says what may be submitted
    assert _jobs_of(charlie.tenant.id, alices_site.id) == 0


async def test_a_tenant_still_submits_the_kinds_meant_for_tenants(app, alice):
    response = await app.test_client().post(
        "/api/v1/jobs",
        json={"name": "echo", "args": {"message": "hi"}},
        headers={"Authorization": f"Bearer {alice.token}"},
    )
    assert response.status_code == 201, await response.get_data(as_text=True)


def test_a_site_job_checks_its_site_against_the_jobs_tenant(alice, charlie, alices_site):
    registry = job_registry()
    with database.connection_context():
        for name in ("crawl.site", "knowledge.embed", "voice.prepare_answers"):
            kind = registry.get(name)
            assert kind.validate(alice.tenant.id, {"site_id": alices_site.id})
            with pytest.raises(NotFound):
                kind.validate(charlie.tenant.id, {"site_id": alices_site.id})


def test_a_worker_refuses_a_job_naming_a_site_of_another_tenant(
    settings, alice, charlie, alices_site
):
    """A row written past the API (an old row, a bug elsewhere) is checked again by the worker:
    the job dies at once, and nothing of alice's site is crawled."""
    queues.bind(settings)
    registry = job_registry()
    jobs = JobQueue(
        registry, EventPublisher(redis.Redis.from_url(settings.redis_url), settings.redis_prefix)
    )
    with database.connection_context():
        job, _ = ledger.create(
            charlie.tenant.id, registry.get("crawl.site"), {"site_id": alices_site.id}
        )
        tasks.execute(job.id, jobs)
        done = Job.get_by_id(job.id)
        assert done.status == "dead" and done.attempts == 1
        assert "NotFound" in done.last_error
        assert CrawlRun.select().where(CrawlRun.site == alices_site.id).count() == 0
