"""Where an answer comes from (issue 16, items 14 and 17): a cited passage on this page is
scrolled to and highlighted, one on another page is highlighted on arrival, and a cited page
of the site is prefetched so that opening it is instant."""

from __future__ import annotations

import re

from tests.support.browser import ARTIFACTS
from tests.widget.test_widget_in_browser import W, ask, open_widget, wait_turns

IN_VIEW = """sel => { const r = document.querySelector(sel).getBoundingClientRect();
    return r.top >= 0 && r.bottom <= innerHeight; }"""
OUTLINED = "sel => getComputedStyle(document.querySelector(sel)).outlineStyle === 'solid'"


def prefetches(site, path: str) -> int:
    return sum(r.path == path and r.purpose.startswith("prefetch") for r in site.requests)


def test_a_cited_section_on_this_page_is_scrolled_to_and_highlighted(page, widget_site):
    open_widget(page, widget_site.url + "/hours")
    assert not page.evaluate(IN_VIEW, "#holidays")  # far below the first screen
    ask(page, "Is the bakery closed on Christmas Day?")
    wait_turns(page, 1)
    page.wait_for_function(f"({IN_VIEW})('#holidays')", timeout=30_000)
    assert page.evaluate(OUTLINED, "#holidays")
    assert page.evaluate(OUTLINED, "#holidays + p")  # the section, not only its heading
    assert page.evaluate("SiteSpeak.stats().highlighted") == ["holidays"]
    page.screenshot(path=str(ARTIFACTS / "widget-cited-here.png"))


def test_a_cited_section_on_another_page_is_highlighted_on_arrival(page, widget_site):
    open_widget(page, widget_site.url + "/")
    ask(page, "Is the bakery closed on Christmas Day?")
    wait_turns(page, 1)
    link = page.locator(f"{W} .m.bot").last.locator(".cites a[href*='#holidays']").first
    link.click()
    page.wait_for_url(re.compile(r".*/hours.*"))
    page.wait_for_function("window.SiteSpeak && SiteSpeak.stats().highlighted.length > 0")
    assert page.evaluate("SiteSpeak.stats().highlighted") == ["holidays"]
    assert page.evaluate(OUTLINED, "#holidays")


def test_a_cited_page_is_prefetched_and_opens_from_the_prefetch(page, widget_site):
    before = prefetches(widget_site, "/hours")
    open_widget(page, widget_site.url + "/about")
    ask(page, "When do you open on Sunday?")
    wait_turns(page, 1)
    prefetched = page.evaluate("SiteSpeak.stats().prefetched")
    assert len(prefetched) == 1 and prefetched[0].startswith(widget_site.url + "/hours#"), (
        prefetched
    )
    rules = page.locator("script[type=speculationrules][data-sitespeak]")
    assert rules.count() == 1  # Chromium: Speculation Rules, not a <link rel=prefetch>
    for _ in range(300):  # the browser fetches the hint off the main thread (~30 s)
        if prefetches(widget_site, "/hours") > before:
            break
        page.wait_for_timeout(100)
    assert prefetches(widget_site, "/hours") == before + 1
    page.locator(f"{W} .m.bot").last.locator(".cites a").first.click()
    page.wait_for_url(re.compile(r".*/hours.*"))
    delivery = page.evaluate("performance.getEntriesByType('navigation')[0].deliveryType")
    assert delivery == "navigational-prefetch"


def test_nothing_is_prefetched_for_a_form_action(page, widget_site):
    before = prefetches(widget_site, "/contact")
    open_widget(page, widget_site.url + "/about")
    ask(page, "Fill in the order form with name Ana")
    page.wait_for_url(re.compile(r".*/contact.*"), timeout=60000)
    page.wait_for_selector(f"{W} .ok:not([hidden])", timeout=30000)
    page.keyboard.press("Escape")
    assert prefetches(widget_site, "/contact") == before
