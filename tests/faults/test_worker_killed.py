"""A worker killed with SIGKILL in the middle of a crawl while the box is under load (two voice
sessions taking turns, a job submitted and the sites listed every 0.3 s, an SSE listener): the
reaper of the worker started next re-queues the crawl once its heartbeat goes stale, the crawl
resumes and finishes once, no page is lost or doubled, the events show the lost attempt, and the
visitors and API clients never noticed."""

from __future__ import annotations

import json
import signal
import uuid

import httpx
import pytest

from sitespeak.settings import Settings
from tests.faults.conftest import Stack, doubled_chunks, recorded_pages, sql
from tests.knowledge.testsite import LoopbackSite
from tests.skeleton.test_processes import SseReader
from tests.support.load import Load
from tests.support.processes import start_worker, wait_for

pytestmark = pytest.mark.slow
EXTRA = 40  # pages besides the bakery's own, each served in 0.1 s: the crawl takes a while


def test_a_worker_killed_mid_crawl_under_load_finishes_the_crawl_once_losing_no_page(
    stack: Stack,
):
    headers = {"Authorization": f"Bearer {stack.pg.token}"}
    with LoopbackSite(delay=0.1, extra_pages=EXTRA) as slow:
        # Requests after the first 20 (robots.txt and sitemaps among them) are held until the
        # worker is killed: the kill lands mid-crawl however fast the box is.
        slow.hold_after = 20
        made = stack.pg.sitespeak(
            "site", "create", "--tenant", stack.pg.tenant, "--name",
            f"fault-slow-{uuid.uuid4().hex[:6]}", "--url", slow.url, "--allow-private", "--json",
        )  # fmt: skip
        site_id = json.loads(made)["id"]
        events = SseReader(stack.web.url, stack.pg.token)
        with Load(stack.web.url, stack.pg.token, stack.origin, stack.site_key) as load:
            wait_for(lambda: all(v.turns for v in load.seen.visitors), 90, 0.2, "turns first")
            asked = httpx.post(
                f"{stack.web.url}/api/v1/sites/{site_id}/crawls", headers=headers, timeout=30
            )
            assert asked.status_code == 202, asked.text
            job_id = asked.json()["id"]
            wait_for(lambda: len(recorded_pages(stack, job_id)) >= 10, 90, 0.1, "pages recorded")
            wait_for(lambda: len(slow.requests) > slow.hold_after, 60, 0.05, "a page held")
            stack.worker.stop(signal.SIGKILL)
            slow.released.set()
            at_kill = len(recorded_pages(stack, job_id))
            stack.worker = start_worker(stack.env, stack.logs, "after-kill")
            final = wait_for(
                lambda: (j := stack.job(job_id))["status"] in ("succeeded", "dead") and j,
                180,
                0.5,
                "the crawl to finish on the next worker",
            )
        seen = load.seen
    print(f"worker SIGKILL mid-crawl ({at_kill} pages in): {seen.summary()}")

    assert at_kill < EXTRA  # killed mid-crawl, not after it
    assert final["status"] == "succeeded" and final["attempts"] == 2, final
    lost = [
        e["data"]
        for e in events.events
        if e["data"].get("id") == job_id and e["data"].get("status") == "failed"
    ]
    assert lost and "worker lost" in lost[0]["error"], lost  # what happened, as it happened
    expected = {f"{slow.url}/extra/{i}" for i in range(EXTRA)}
    expected |= {  # /huge (3 MB) is under the default size cap
        slow.url + p
        for p in ("/", "/hours", "/faq", "/contact", "/about", "/team", "/menu", "/huge")
    }
    assert set(recorded_pages(stack, job_id, "new")) == expected
    assert sql(stack, "SELECT count(*) FROM crawl_runs WHERE site_id = %s", site_id)[0][0] == 1
    ok_pages = "SELECT count(*) FROM pages WHERE site_id = %s AND status = 'ok'"
    assert sql(stack, ok_pages, site_id)[0][0] == len(expected)
    assert doubled_chunks(stack, site_id) == []
    # Resumed, not restarted: only the pages in flight at the kill (one per fetcher, or
    # fetched but not yet recorded) were fetched twice.
    refetched = [u for u in expected if slow.fetched(u[len(slow.url) :]) > 1]
    assert len(refetched) <= Settings.model_fields["crawl_concurrency"].default, refetched

    assert 500 not in seen.api and set(seen.api) <= {200, 201}, seen.api
    for visitor in seen.visitors:
        assert not visitor.closes and not visitor.errors, visitor  # the web side never noticed
    for acknowledged in seen.acknowledged:
        done = wait_for(
            lambda a=acknowledged: (j := stack.job(a))["status"] in ("succeeded", "dead") and j,
            60,
            0.3,
            f"acknowledged job {acknowledged} done",
        )
        assert done["status"] == "succeeded", done
    # Only a job the killed worker was running at that moment may have run twice.
    twice = [a for a in seen.acknowledged if stack.job(a)["attempts"] > 1]
    assert len(twice) <= 1, twice
