"""Announce an action only when it will run (issue 16, item 13): the widget opens pages of its
own origin only, so on a copy of the site at another address "take me to the contact page"
offers the page's link instead of saying "Taking you to..." and then staying put."""

from __future__ import annotations

from contextlib import contextmanager

from sitespeak.db.connection import database
from sitespeak.events.bus import nowhere
from sitespeak.sites import update_site
from tests.support.browser import ARTIFACTS
from tests.widget.test_widget_in_browser import W, ask, bot_messages, open_widget, wait_turns


@contextmanager
def also_allowed(alice, site, origin: str):
    """The site's widget allowed on a second address (its pages were crawled at the first)."""
    with database.connection_context():
        update_site(alice.tenant.id, site.id, publish=nowhere, allowed_origins=[site.url, origin])
    try:
        yield
    finally:
        with database.connection_context():
            update_site(alice.tenant.id, site.id, publish=nowhere, allowed_origins=[])


def test_a_navigation_the_widget_would_refuse_is_offered_as_a_link(page, widget_site, alice):
    with also_allowed(alice, widget_site, widget_site.foreign):
        open_widget(page, widget_site.foreign + "/about")
        ask(page, "Take me to the contact page")
        wait_turns(page, 1)
        answer = bot_messages(page)[-1]
        assert "Taking you" not in answer, answer
        assert "link is below" in answer, answer
        link = page.locator(f"{W} .m.bot").last.locator(".cites a").first
        assert link.get_attribute("href").startswith(widget_site.url + "/contact")
        page.wait_for_timeout(1000)
        assert page.url == widget_site.foreign + "/about"  # nothing was announced, nothing ran
        assert page.evaluate("SiteSpeak.stats().actions") == []
        page.screenshot(path=str(ARTIFACTS / "widget-offered-link.png"))
