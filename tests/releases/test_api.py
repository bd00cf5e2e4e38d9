"""Releases through the API on two real web processes, with a real worker crawling the
loopback site: the gate holds a broken recrawl, and publish and rollback (jobs on the
critical queue) switch what both web processes answer from."""

from __future__ import annotations

import httpx
import pytest

from sitespeak import sites
from sitespeak.db.connection import database
from tests.conftest import own_queues
from tests.knowledge.testsite import LoopbackSite
from tests.support.processes import start_web, start_worker, wait_for

pytestmark = pytest.mark.slow
QUESTION = "who decorates the celebration cakes"


@pytest.fixture(scope="module")
def env(base_env):
    return own_queues(base_env)


@pytest.fixture(scope="module")
def webs(env, tmp_path_factory):
    procs = [start_web(env, tmp_path_factory.mktemp(f"releases-web{i}")) for i in (1, 2)]
    yield procs
    for proc in procs:
        proc.stop()


@pytest.fixture(scope="module")
def worker(env, tmp_path_factory):
    logs = tmp_path_factory.mktemp("releases-worker")
    proc = start_worker(env, logs, SITESPEAK_WORKER_QUEUES="critical,crawler,ai")
    yield proc
    proc.stop()


def client(web, persona) -> httpx.Client:
    return httpx.Client(
        base_url=web.url, timeout=30, headers={"Authorization": f"Bearer {persona.token}"}
    )


def finished(api: httpx.Client, job_id: str, timeout: float = 90) -> dict:
    def done():
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        return job if job["status"] in ("succeeded", "dead") else None

    job = wait_for(done, timeout, 0.2, f"job {job_id}")
    assert job["status"] == "succeeded", job
    return job


def crawled(api: httpx.Client, site_id: int) -> dict:
    """Crawl now and wait for the run's candidate release; return the candidate job's result."""
    crawl = finished(api, api.post(f"/api/v1/sites/{site_id}/crawls").json()["id"])["result"]
    if "embed_job" in crawl:
        crawl = finished(api, crawl["embed_job"])["result"]
    return finished(api, crawl["candidate_job"])["result"]


def answers_on_every_web(apis: list[httpx.Client], site_id: int, version: int) -> list[str]:
    """What each web process answers once it has loaded the site at ``version`` or later."""

    def texts(api: httpx.Client):
        body = api.post(f"/api/v1/sites/{site_id}/search", json={"query": QUESTION, "k": 3})
        found = body.json()
        if found["knowledge_version"] < version:
            return None
        return [" ".join(p["text"] for p in found["passages"])]  # truthy, even when empty

    return [
        wait_for(lambda a=api: texts(a), 60, 0.2, "the web's index to switch")[0] for api in apis
    ]


def version_of(api: httpx.Client, site_id: int) -> int:
    return api.get(f"/api/v1/sites/{site_id}").json()["knowledge_version"]


@pytest.fixture()
def site_server():
    with LoopbackSite() as site:
        yield site


def test_a_held_recrawl_changes_nothing_and_publish_and_rollback_switch_both_web_processes(
    webs, worker, alice, bob, charlie, site_server
):
    with database.connection_context():
        site = sites.create_site(
            alice.tenant.id, "released-site", [site_server.url + "/"], True, privileged=True
        )
    apis = [client(web, alice) for web in webs]
    a = apis[0]
    with client(webs[1], bob) as b, client(webs[0], charlie) as c:
        first = crawled(a, site.id)["release"]
        assert first["number"] == 1 and first["state"] == "live"
        before = answers_on_every_web(apis, site.id, version_of(a, site.id))
        assert all("Amira" in text for text in before)

        site_server.failing = 500
        held = crawled(a, site.id)["release"]
        assert held["state"] == "held" and held["number"] == 2
        shown = b.get(f"/api/v1/sites/{site.id}/knowledge-releases/2").json()  # a viewer reads it
        assert shown["diff"]["failed"][0]["reason"].startswith("HTTP 500")
        assert shown["held_because"]
        assert answers_on_every_web(apis, site.id, version_of(a, site.id)) == before

        assert b.post(f"/api/v1/sites/{site.id}/knowledge-releases/2/publish").status_code == 403
        assert c.get(f"/api/v1/sites/{site.id}/knowledge-releases").status_code == 404
        assert c.post(f"/api/v1/sites/{site.id}/knowledge-releases/2/publish").status_code == 404
        assert a.post(f"/api/v1/sites/{site.id}/knowledge-releases/1/publish").status_code == 409

        job = a.post(f"/api/v1/sites/{site.id}/knowledge-releases/2/publish")
        assert job.status_code == 202 and job.json()["queue"] == "critical"
        finished(a, job.json()["id"])
        after = answers_on_every_web(apis, site.id, version_of(a, site.id))
        assert not any("Amira" in text for text in after)

        job = a.post(f"/api/v1/sites/{site.id}/knowledge-releases/1/rollback")
        assert job.status_code == 202
        finished(a, job.json()["id"])
        assert answers_on_every_web(apis, site.id, version_of(a, site.id)) == before
        history = b.get(f"/api/v1/sites/{site.id}/knowledge-releases").json()["releases"]
        assert [(r["number"], r["state"]) for r in history] == [(2, "archived"), (1, "live")]
        assert history[1]["published_by"].startswith("API token")
    for api in apis:
        api.close()
