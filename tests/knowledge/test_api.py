"""The sites API on a real web process, with a real worker crawling the loopback site."""

from __future__ import annotations

import httpx
import pytest

from sitespeak import sites
from sitespeak.db.connection import database
from sitespeak.events.bus import nowhere
from tests.knowledge.testsite import LoopbackSite, page
from tests.support.processes import start_web, start_worker, wait_for

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(base_env, tmp_path_factory):
    proc = start_web(base_env, tmp_path_factory.mktemp("kb-web"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def site_server():
    with LoopbackSite() as site:
        yield site


def _client(web, persona) -> httpx.Client:
    return httpx.Client(
        base_url=web.url, timeout=30, headers={"Authorization": f"Bearer {persona.token}"}
    )


def _wait_job(client: httpx.Client, job_id: str, timeout: float = 60) -> dict:
    def done():
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        return job if job["status"] in ("succeeded", "dead") else None

    job = wait_for(done, timeout, 0.2, f"job {job_id}")
    assert job["status"] == "succeeded", job
    return job


def test_sites_can_be_created_listed_changed_and_are_tenant_scoped(
    web, alice, bob, charlie, site_server
):
    with _client(web, alice) as a, _client(web, bob) as b, _client(web, charlie) as c:
        made = a.post(
            "/api/v1/sites",
            json={
                "name": "crud-site",
                "start_urls": [site_server.url + "/"],
            },
        )
        assert made.status_code == 201, made.text
        site = made.json()
        assert site["key"].startswith("pk_") and site["allowed_origins"] == [site_server.url]
        assert (
            a.post(
                "/api/v1/sites", json={"name": "crud-site", "start_urls": [site_server.url]}
            ).status_code
            == 409
        )
        assert (
            b.post("/api/v1/sites", json={"name": "x", "start_urls": [site_server.url]}).status_code
            == 403
        )
        assert c.get(f"/api/v1/sites/{site['id']}").status_code == 404
        assert site["id"] not in [s["id"] for s in c.get("/api/v1/sites").json()["sites"]]
        assert site["id"] in [s["id"] for s in b.get("/api/v1/sites").json()["sites"]]
        changed = a.patch(f"/api/v1/sites/{site['id']}", json={"schedule": "daily"})
        assert changed.status_code == 200 and changed.json()["schedule"] == "daily"
        bad = a.post("/api/v1/sites", json={"name": "bad", "start_urls": ["ftp://x"]})
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        assert "start_urls.0" in bad.json()["detail"]
        assert a.delete(f"/api/v1/sites/{site['id']}").status_code == 204
        assert a.get(f"/api/v1/sites/{site['id']}").status_code == 404


def _operator_allows_private(persona, site_id: int) -> None:
    """What ``sitespeak site allow-private`` does: the loopback test site needs it."""
    with database.connection_context():
        sites.update_site(
            persona.tenant.id, site_id, publish=nowhere, privileged=True, allow_private=True
        )


def test_a_tenant_cannot_allow_private_addresses_and_is_told_who_can(web, alice, site_server):
    with _client(web, alice) as a:
        asked = a.post(
            "/api/v1/sites",
            json={"name": "sneaky", "start_urls": [site_server.url + "/"], "allow_private": True},
        )
        assert asked.status_code == 403, asked.text
        assert asked.headers["content-type"] == "application/problem+json"
        assert "only an instance superuser (in the admin UI) or the operator" in asked.text
        site = a.post(
            "/api/v1/sites", json={"name": "sneaky", "start_urls": [site_server.url + "/"]}
        ).json()
        assert (
            a.patch(f"/api/v1/sites/{site['id']}", json={"allow_private": True}).status_code == 403
        )
        assert a.get(f"/api/v1/sites/{site['id']}").json()["allow_private"] is False

        _operator_allows_private(alice, site["id"])
        kept = a.patch(
            f"/api/v1/sites/{site['id']}", json={"allow_private": True, "schedule": "daily"}
        )
        assert kept.status_code == 200 and kept.json()["allow_private"] is True
        dropped = a.patch(f"/api/v1/sites/{site['id']}", json={"allow_private": False})
        assert dropped.status_code == 200 and dropped.json()["allow_private"] is False
        assert a.delete(f"/api/v1/sites/{site['id']}").status_code == 204


def test_a_crawl_through_the_worker_makes_the_site_searchable_and_recrawls_refresh_it(
    web, alice, charlie, site_server, base_env, tmp_path
):
    with _client(web, alice) as a, _client(web, charlie) as c:
        site = a.post(
            "/api/v1/sites",
            json={"name": "worker-site", "start_urls": [site_server.url + "/"]},
        ).json()
        _operator_allows_private(alice, site["id"])
        first = a.post(f"/api/v1/sites/{site['id']}/crawls")
        again = a.post(f"/api/v1/sites/{site['id']}/crawls")
        assert first.status_code == 202 and again.status_code == 200
        assert again.json()["id"] == first.json()["id"]  # one open crawl per site
        worker = start_worker(base_env, tmp_path, SITESPEAK_WORKER_QUEUES="critical,crawler,ai")
        try:
            crawl = _wait_job(a, first.json()["id"])
            _wait_job(a, crawl["result"]["embed_job"])
            found = a.post(
                f"/api/v1/sites/{site['id']}/search",
                json={"query": "when are you open on sunday", "k": 3},
            ).json()
            assert "Sunday" in found["passages"][0]["text"]
            assert (
                c.post(f"/api/v1/sites/{site['id']}/search", json={"query": "sunday"}).status_code
                == 404
            )

            runs = a.get(f"/api/v1/sites/{site['id']}/crawls").json()["crawls"]
            detail = a.get(f"/api/v1/sites/{site['id']}/crawls/{runs[0]['id']}").json()
            outcomes = {p["url"][len(site_server.url) :]: p for p in detail["pages"]}
            assert outcomes["/missing"]["outcome"] == "failed"
            assert outcomes["/missing"]["reason"] == "HTTP 404"
            pages = a.get(f"/api/v1/sites/{site['id']}/pages").json()["pages"]
            contact = next(p for p in pages if p["url"].endswith("/contact"))
            assert contact["forms"][0]["fields"][0]["label"] == "Your name"

            site_server.pages["/hours"] = page(
                "Opening hours",
                "<h1 id='hours'>Hours</h1>"
                "<p>From January the ovens open at dawn on "
                "Sundays, at 6am sharp.</p>",
            )
            recrawl = a.post(f"/api/v1/sites/{site['id']}/crawls")
            assert recrawl.status_code == 202
            result = _wait_job(a, recrawl.json()["id"])["result"]
            assert result["changed"] == 1 and result["not_modified"] >= 5
            embedded = _wait_job(a, result["embed_job"])
            # The recrawl's candidate release publishes by itself (one page changed).
            _wait_job(a, embedded["result"]["candidate_job"])

            version = a.get(f"/api/v1/sites/{site['id']}").json()["knowledge_version"]

            def refreshed():  # the worker's knowledge-base.updated event reloads the cache
                body = a.post(
                    f"/api/v1/sites/{site['id']}/search",
                    json={"query": "what time do the ovens open in January"},
                ).json()
                return body["knowledge_version"] == version and body

            body = wait_for(refreshed, 60, 0.2, "the web cache to see the recrawl")
            # The new text is found (the site's structured opening hours may rank first for a
            # "what time" question: both answer it).
            assert any("6am sharp" in p["text"] for p in body["passages"][:3])
        finally:
            worker.stop()
