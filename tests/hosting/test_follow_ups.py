"""A hosted switch and its follow-ups (indexing the live release, purging the CDN) are one
commit: a worker that cannot queue them once the switch is made (the queues are down, or it
dies right then) leaves their rows to the reaper instead of losing them."""

from __future__ import annotations

import uuid

import pytest
import redis

from sitespeak.assembly import job_registry
from sitespeak.db.models import Job
from sitespeak.events.bus import EventPublisher
from sitespeak.hosting import layout, publish, purge
from sitespeak.hosting.jobs import INGEST, PURGE
from sitespeak.hosting.models import HostedRelease
from sitespeak.jobs import ledger, queues, reaper
from sitespeak.jobs.tasks import JobQueue
from tests.hosting.conftest import DOMAIN, write_site
from tests.support.processes import free_port


@pytest.fixture()
def queues_down(settings):
    """The queues bound to a Redis that is not there; the run's own queues again after."""
    down = settings.model_copy(
        update={
            "redis_url": f"redis://127.0.0.1:{free_port()}/0",
            "redis_prefix": f"down-{uuid.uuid4().hex[:6]}",
        }
    )
    queues.bind(down)
    try:
        yield JobQueue(
            job_registry(),
            EventPublisher(redis.Redis.from_url(down.redis_url), down.redis_prefix),
        )
    finally:
        queues.bind(settings)


@pytest.fixture()
def two_releases(host_settings, private_site, tmp_path):
    """Release 1 live, release 2 uploaded and waiting to be built; a purge hook set."""
    site, hosted = private_site
    purge.set_hooks(hosted, ["http://127.0.0.1:9/purge"])  # set on the row: never called here
    for title in ("First bakery", "Second bakery"):
        source = write_site(tmp_path / title, title=title)
        made = publish.record_release(hosted, source, "folder", "alice")
        if made.number == 1:
            publish.publish_release(host_settings, hosted.tenant_id, site.id, 1)
    return site, hosted


def live_number(host_settings, hosted) -> str | None:
    live = layout.live_release(host_settings.state_dir, f"{hosted.label}.{DOMAIN}")
    return live.name if live else None


def recorded(ids: list[str]) -> dict[str, Job]:
    return {job.name: job for job in (Job.get_by_id(i) for i in ids)}


def test_a_publish_made_while_the_queues_are_down_keeps_its_ingest_and_purge_for_the_reaper(
    settings, host_settings, two_releases, queues_down
):
    site, hosted = two_releases
    done = publish.publish_release(host_settings, hosted.tenant_id, site.id, 2, jobs=queues_down)
    assert done["state"] == "live" and live_number(host_settings, hosted) == "2"
    jobs = recorded(done["follow_up"])
    assert set(jobs) == {INGEST, PURGE}
    assert all(j.status == "queued" and j.args["release"] == 2 for j in jobs.values())
    assert "/index.html" in jobs[PURGE].args["paths"]
    lost = {j.id for j in ledger.lost_waiting(0)}
    assert {j.id for j in jobs.values()} <= lost, "the reaper finds them"


def test_a_rollback_made_while_the_queues_are_down_keeps_its_follow_ups_too(
    settings, host_settings, two_releases, queues_down
):
    site, hosted = two_releases
    publish.publish_release(host_settings, hosted.tenant_id, site.id, 2)
    done = publish.rollback(host_settings, hosted.tenant_id, site.id, 1, jobs=queues_down)
    assert live_number(host_settings, hosted) == "1"
    jobs = recorded(done["follow_up"])
    assert set(jobs) == {INGEST, PURGE} and jobs[INGEST].args["release"] == 1


def test_the_reaper_queues_follow_ups_left_behind_once_the_queues_are_back(
    settings, host_settings, two_releases, queues_down, base_env
):
    site, hosted = two_releases
    done = publish.publish_release(host_settings, hosted.tenant_id, site.id, 2, jobs=queues_down)
    back = settings.model_copy(
        update={"redis_prefix": f"back-{uuid.uuid4().hex[:6]}", "job_lost_after": 0.0}
    )
    queues.bind(back)
    client = redis.Redis.from_url(back.redis_url)
    assert reaper.reap(back, EventPublisher(client, back.redis_prefix)) >= 2
    assert queues.depths()["critical"] >= 2
    assert {j.status for j in recorded(done["follow_up"]).values()} == {"queued"}


def test_a_retry_of_a_publish_that_died_after_switching_the_link_records_its_follow_ups(
    settings, host_settings, two_releases, queues_down
):
    site, hosted = two_releases
    publish.publish_release(host_settings, hosted.tenant_id, site.id, 2)
    # As if the attempt died after switching `current` but before its rows (and its
    # follow-ups') committed.
    HostedRelease.update(state="building").where(
        HostedRelease.site == hosted.site_id, HostedRelease.number == 2
    ).execute()
    HostedRelease.update(state="live").where(
        HostedRelease.site == hosted.site_id, HostedRelease.number == 1
    ).execute()
    done = publish.publish_release(host_settings, hosted.tenant_id, site.id, 2, jobs=queues_down)
    assert done["state"] == "live"
    jobs = recorded(done["follow_up"])
    assert set(jobs) == {INGEST, PURGE} and jobs[INGEST].args["release"] == 2
    assert "/index.html" in jobs[PURGE].args["paths"]  # release 1's page said "First bakery"
