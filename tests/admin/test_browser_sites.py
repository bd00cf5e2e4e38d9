"""The knowledge and conversation flows in Chromium against a real web process and worker: create
a site pointing at a loopback test site, start a crawl and watch live progress reach done, search
in the playground, open a conversation made by a real text turn and see its latency breakdown,
see the charts render."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.admin.conftest import QUIET_ENV
from tests.support.browser import needs_chromium, shot, sign_in_owner
from tests.support.processes import start_web, start_worker
from tests.voice.client import ask_text, open_session
from tests.voice.testsite import serve_site

SITE_TITLE = "Sunrise Bakery"  # the loopback site's start page title
pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def bakery():
    with serve_site() as url:
        yield url


@pytest.fixture(scope="module")
def stack(base_env, tmp_path_factory, speech_process):
    logs = tmp_path_factory.mktemp("sites-flow")
    env = {**base_env, **QUIET_ENV, "SITESPEAK_VOICE_IP_TURNS_PER_MINUTE": "1000"}
    worker = start_worker(env, logs)
    web = start_web(env, logs, 60)
    yield web
    web.stop()
    worker.stop()


@pytest.fixture(scope="module")
def page(stack, browser):
    return sign_in_owner(stack, browser, f"Sites {uuid.uuid4().hex[:6]}")


def test_a_site_is_created_crawled_with_live_progress_searched_and_talked_to(stack, page, bakery):
    page.click("nav >> text=Sites")
    assert not page.locator("details.advanced").get_attribute("open")  # the URL is all it asks
    page.fill("textarea[name=start_urls]", bakery + "/")
    page.check("input[name=allow_private]")
    page.click("text=Add site")
    assert page.locator("h1").inner_text() == SITE_TITLE  # the name: the start page's title
    snippet = page.locator("#embed-snippet").input_value()
    assert snippet.startswith(f'<script src="{stack.url}/widget.js" data-site-key="pk_')
    assert snippet.endswith('" async></script>')
    site_url = page.url.split("?")[0]
    # Saving started the first crawl; the page follows it to the end by itself.
    page.wait_for_selector("#crawls .pill.succeeded", timeout=120_000)
    shot(page, "admin-site-first-crawl.png")

    page.wait_for_selector("#crawls[data-connected='1']")
    page.evaluate("sessionStorage.removeItem('sitespeak.live')")
    page.click("text=Crawl now")
    deadline = time.monotonic() + 120  # the admin CSP refuses wait_for_function's eval
    while "Crawl done." not in (page.evaluate("sessionStorage.getItem('sitespeak.live')") or ""):
        assert time.monotonic() < deadline, "the crawl never finished on the page"
        page.wait_for_timeout(300)
    page.wait_for_selector("#crawls .pill.succeeded", timeout=30_000)
    seen = json.loads(page.evaluate("sessionStorage.getItem('sitespeak.live')"))
    assert any("pages done" in s or "page done" in s for s in seen), seen
    assert "Crawl done." in seen
    shot(page, "admin-site.png")

    page.click("text=Search playground")
    page.fill("input[name=q]", "When do you open on Saturday?")
    page.click("button:has-text('Ask')")
    # The answer a visitor would get first, then the passages it came from.
    answer = page.locator(".visitor-answer")
    assert "8 am" in answer.locator(".answer-text").inner_text()
    assert answer.locator(".pill").inner_text() == "answered"
    assert answer.locator(".sources a").count() >= 1
    assert page.locator(".passage .pill", has_text="in the answer").count() >= 1
    assert page.locator(".passage .rank").first.inner_text() == "#1"  # no bare RRF score
    shot(page, "admin-search.png")
    page.fill("input[name=q]", "Do you repair bicycles?")
    page.click("button:has-text('Ask')")
    assert answer.locator(".pill").inner_text() == "declined"
    assert "declined:" in answer.locator(".why").inner_text().lower()
    shot(page, "admin-search-declined.png")

    key = snippet.split('data-site-key="')[1].split('"')[0]
    # Playwright's sync API owns this thread's event loop: the widget client runs on another.
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            asyncio.run, _text_turn(stack.url, bakery, key, "What are your opening hours?")
        ).result(120)
    assert answer

    page.goto(site_url)
    page.click("text=Conversations")
    page.click("table a")
    assert page.locator(".turn .q").first.inner_text().endswith("What are your opening hours?")
    assert page.locator(".latency svg rect").count() >= 2
    assert page.locator("text=eos to first audio").count() == 1
    shot(page, "admin-conversation.png")

    page.click("text=Charts")
    # The charts read the rollups, which the analytics worker rebuilds seconds after a turn.
    deadline = time.monotonic() + 90
    while page.locator('dd[data-n="turns"]').inner_text() == "0":
        assert time.monotonic() < deadline, "the turn never reached the charts' rollups"
        page.wait_for_timeout(500)
        page.reload()
    page.wait_for_load_state()  # the totals come before the charts in a page still loading
    assert page.locator("svg.chart rect").count() >= 1  # turns per day
    assert page.locator("svg.chart polyline").count() >= 2  # latency p50/p95
    assert "what are your opening hours" in page.locator("text=Top questions >> ..").inner_text()
    shot(page, "admin-charts.png")


async def _text_turn(web_url: str, origin: str, key: str, text: str) -> str:
    ws, ready = await open_session(web_url, origin, key)
    try:
        assert ready["type"] == "session.ready", ready
        turn = await ask_text(ws, text)
        return turn.done.get("text") or "".join(
            e.get("text", "") for e in turn.of("response.text.delta")
        )
    finally:
        await ws.close()


def test_a_private_start_url_is_refused_at_save_and_a_crawl_of_nothing_shows_failed_with_why(
    stack, page, bakery
):
    page.goto(stack.url + "/admin/sites")
    page.fill("input[name=name]", "Private Bakery")
    page.fill("textarea[name=start_urls]", bakery + "/")
    page.click("text=Add site")
    assert "127.0.0.1 is a private address: allow private addresses" in page.content()
    shot(page, "admin-site-refused.png")

    page.goto(stack.url + "/admin/sites")
    page.fill("input[name=name]", "Missing Bakery")
    page.fill("textarea[name=start_urls]", bakery + "/no-such-page")
    page.check("input[name=allow_private]")
    page.click("text=Add site")  # ...and its first crawl starts by itself
    page.wait_for_selector("#crawls .pill.failed", timeout=120_000)
    problem = page.locator("#crawls .run-problem").first.inner_text()
    assert problem.startswith("1 page failed: HTTP 404: the page does not exist")
    shot(page, "admin-site-crawl-failed.png")
    page.click("nav >> text=Sites")
    row = page.locator("tr", has_text="Missing Bakery")
    assert row.locator(".pill.failed").count() == 1
    assert "HTTP 404" in row.locator(".run-problem").inner_text()
    shot(page, "admin-sites-crawl-failed.png")
