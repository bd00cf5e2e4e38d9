"""A published site in Debian's Chromium on its own host name: the page carries the widget once,
the widget loads from the admin's origin, and it answers from the site's pages (indexed from the
release's files). Chromium resolves every *.test name to this machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitespeak.hosting import layout
from sitespeak.hosting.knowledge import ingest_release
from sitespeak.knowledge.embedders import embedder_for
from sitespeak.knowledge.indexing import embed_site
from tests.hosting.conftest import ADMIN_HOST, DOMAIN, publish_path, site_key
from tests.support.browser import chromium, watched_tab
from tests.widget.test_widget_in_browser import W, ask, bot_messages, open_widget, wait_turns


@pytest.fixture(scope="module")
def browser():
    with chromium("--host-resolver-rules=MAP *.test 127.0.0.1") as found:
        yield found


@pytest.fixture()
def tab(browser):
    with watched_tab(browser) as found:
        yield found


HOME = """<!DOCTYPE html><html><head><title>Hosted Bakery</title></head><body>
<h1>Hosted Bakery</h1><p>Fresh bread and pastries from our wood oven.</p>
<a href="/hours/">Opening hours</a></body></html>"""
HOURS = """<!DOCTYPE html><html><head><title>Opening hours</title></head><body>
<h1>Opening hours</h1><p>We are open Monday to Saturday from 7 am to 6 pm.</p>
<p>On Sunday we open from 9 am to 2 pm.</p></body></html>"""


def bakery_site(root: Path) -> Path:
    for name, text in {"index.html": HOME, "hours/index.html": HOURS}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture()
def live_bakery(hosted_web, settings, hosted_site, tmp_path) -> tuple[str, str]:
    """alice's site published (the embed tag pointing at the admin's origin on this port) and
    indexed from the release: (page URL, site key)."""
    site, hosted = hosted_site
    port = hosted_web.proc.port
    served = settings.model_copy(
        update={
            "state_dir": hosted_web.state_dir,
            "hosted_sites_domain": DOMAIN,
            "public_url": f"http://{ADMIN_HOST}:{port}",
        }
    )
    release = publish_path(served, hosted, bakery_site(tmp_path / "src"))
    folder = layout.release_dir(hosted_web.state_dir, hosted.site_id, release.number)
    host = f"{hosted.label}.{DOMAIN}"
    totals = ingest_release(site, folder, f"http://{host}:{port}")
    assert totals["status"] == "succeeded", totals
    embed_site(site.id, embedder_for(served), served.embed_batch_size)
    return f"http://{host}:{port}/", site_key(site)


def test_a_hosted_page_shows_the_widget_once_and_it_answers_from_the_sites_pages(tab, live_bakery):
    url, key = live_bakery
    open_widget(tab, url)
    assert tab.title() == "Hosted Bakery"
    tags = tab.eval_on_selector_all(
        "script[data-site-key]", "els => els.map(e => [e.dataset.siteKey, e.src])"
    )
    assert tags == [[key, f"http://{ADMIN_HOST}:{url.rsplit(':', 1)[1].strip('/')}/widget.js"]]
    assert tab.locator(W).count() == 1
    ask(tab, "When do you open on Sunday?")
    wait_turns(tab, 1)
    answer = bot_messages(tab)[-1]
    assert "9 am" in answer, answer
    cited = tab.locator(f"{W} .m.bot").last.locator(".cites a").first
    assert cited.get_attribute("href").startswith(url + "hours/")
    cited.click()
    tab.wait_for_url(url + "hours/**")
    assert tab.title() == "Opening hours"  # served by the site's host, the widget along
    tab.wait_for_function("window.SiteSpeak && window.SiteSpeak.version")
    assert tab.errors == []
