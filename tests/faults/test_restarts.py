"""Redis, then PostgreSQL, stopped under load and started again: what users see.

Load during each fault: two voice sessions taking text turns (reconnecting with their resume id
when closed), a job submitted and the sites listed every 0.3 s over the API, an SSE listener,
a crawl of a slow 47-page site, and readiness polled every 0.2 s. Asserted: readiness goes 503
and comes back by itself; no 500; every acknowledged job runs exactly once; the crawl completes
with every page and no duplicate chunk; every voice session keeps working or was told why it
closed (and resumes); the processes recover without a restart. The summary of each run is
printed (pytest -s shows it)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.faults.conftest import Stack, doubled_chunks, recorded_pages, recovered
from tests.knowledge.testsite import LoopbackSite
from tests.skeleton.test_processes import SseReader
from tests.support.load import Load, Observed
from tests.support.processes import wait_for

pytestmark = pytest.mark.slow
OUTAGE = 6.0  # seconds the server stays down
AFTER = 6.0  # seconds of load after readiness is back


EXTRA = 40  # pages besides the bakery's own, each served in 0.1 s


@contextmanager
def _crawling(stack: Stack) -> Iterator[None]:
    """A crawl under way through the fault; afterwards it has finished with every page and no
    chunk twice (a retry resumes the run)."""
    with LoopbackSite(delay=0.1, extra_pages=EXTRA) as slow:
        made = stack.pg.sitespeak(
            "site", "create", "--tenant", stack.pg.tenant, "--name",
            f"fault-crawl-{uuid.uuid4().hex[:6]}", "--url", slow.url, "--allow-private", "--json",
        )  # fmt: skip
        site_id = json.loads(made)["id"]
        asked = httpx.post(
            f"{stack.web.url}/api/v1/sites/{site_id}/crawls",
            headers={"Authorization": f"Bearer {stack.pg.token}"},
            timeout=30,
        )
        assert asked.status_code == 202, asked.text
        job_id = asked.json()["id"]
        wait_for(lambda: len(recorded_pages(stack, job_id)) >= 5, 90, 0.1, "the crawl under way")
        yield
        done = wait_for(
            lambda: (j := stack.job(job_id))["status"] in ("succeeded", "dead") and j,
            180,
            0.5,
            "the crawl to finish after the fault",
        )
        pages = recorded_pages(stack, job_id, "new")
        print(f"crawl through the fault: {len(pages)} pages, attempts {done['attempts']}")
        assert done["status"] == "succeeded", done
        assert {f"{slow.url}/extra/{i}" for i in range(EXTRA)} <= set(pages)
        assert len(pages) == len(set(pages)) and doubled_chunks(stack, site_id) == []


def _break(stack: Stack, stop, start) -> tuple[Observed, SseReader, float]:
    events = SseReader(stack.web.url, stack.pg.token)
    with (
        Load(stack.web.url, stack.pg.token, stack.origin, stack.site_key) as load,
        _crawling(stack),
    ):
        wait_for(  # every session open and talking (the speech models may still be loading)
            lambda: all(v.turns for v in load.seen.visitors), 90, 0.2, "turns before the fault"
        )
        stop()
        time.sleep(OUTAGE)
        start()
        recovered(stack)
        back = time.monotonic()
        # Every visitor answered again (a turn streams its audio in real time: one begun
        # just before readiness came back could take most of AFTER on a loaded box), and
        # the load goes on for AFTER at least.
        wait_for(
            lambda: all(any(at > back for at in v.turns) for v in load.seen.visitors),
            90,
            0.2,
            "every visitor answered after the fault",
        )
        time.sleep(max(back + AFTER - time.monotonic(), 0))
    return load.seen, events, back


def _assert_users_lost_nothing(stack: Stack, seen: Observed, events: SseReader, back: float):
    print(seen.summary())
    assert 500 not in seen.api and set(seen.api) <= {200, 201, 503}, seen.api
    statuses = [s for _, s in seen.ready]
    assert 503 in statuses and statuses[-1] == 200, statuses
    for job_id in seen.acknowledged:
        done = wait_for(
            lambda job_id=job_id: (j := stack.job(job_id))["status"] in ("succeeded", "dead") and j,
            timeout=60,
            what=f"acknowledged job {job_id} done",
        )
        assert done["status"] == "succeeded" and done["attempts"] == 1, done
    for visitor in seen.visitors:
        assert not visitor.untold_closes(), visitor
        assert "turn_failed" not in visitor.errors, visitor  # answered through the fault
        assert any(at > back for at in visitor.turns), visitor  # working again afterwards
        assert visitor.resumed >= len(visitor.closes), visitor  # every closed one resumed
    last = seen.acknowledged[-1]
    wait_for(
        lambda: any(e["data"].get("id") == last for e in events.events),
        timeout=60,
        what="events flowing to the SSE listener after the fault",
    )


def test_redis_stopped_under_load_and_started_again_loses_nothing(stack):
    seen, events, back = _break(stack, stack.redis.stop, stack.redis.start)
    _assert_users_lost_nothing(stack, seen, events, back)
    assert seen.api[503] > 0  # submissions during the outage were refused, not recorded


def test_postgresql_stopped_under_load_and_started_again_loses_nothing(stack):
    seen, events, back = _break(stack, stack.pg.stop, stack.pg.start)
    _assert_users_lost_nothing(stack, seen, events, back)
