"""The owner's try-it page: /sites/<id>/try, behind the admin session or a write token."""

from __future__ import annotations

import re

import httpx

from sitespeak.accounts import users
from sitespeak.db.connection import database
from sitespeak.knowledge.models import Page
from tests.support.browser import ARTIFACTS

PASSWORD = "correct horse battery staple 42"


def try_url(web, site_id: int, token: str = "") -> str:
    return f"{web.url}/sites/{site_id}/try" + (f"?token={token}" if token else "")


def test_the_try_page_needs_an_owner_or_editor(widget_web, widget_site, alice, bob, charlie):
    assert httpx.get(try_url(widget_web, widget_site.id)).status_code == 401
    assert httpx.get(try_url(widget_web, widget_site.id, bob.token)).status_code == 403
    assert httpx.get(try_url(widget_web, widget_site.id, charlie.token)).status_code == 404
    page = httpx.get(try_url(widget_web, widget_site.id, alice.token))
    assert page.status_code == 200
    assert f'data-site-key="{widget_site.key}"' in page.text
    assert "Sunrise Bakery" in page.text  # the start page's title, copied
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self' ws://127.0.0.1:" in csp
    assert page.headers["cache-control"] == "no-store"


def test_a_signed_in_owner_opens_the_try_page_with_the_admin_session(
    widget_web, widget_site, alice
):
    with database.connection_context():
        users.set_password(alice.user.id, PASSWORD)
    with httpx.Client(base_url=widget_web.url) as client:
        form = client.get("/admin/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        signed_in = client.post(
            "/admin/login", data={"email": alice.user.email, "password": PASSWORD, "csrf": csrf}
        )
        assert signed_in.status_code == 302, signed_in.text
        page = client.get(f"/sites/{widget_site.id}/try")
    assert page.status_code == 200 and widget_site.key in page.text


def test_the_widget_answers_on_the_try_page_under_its_strict_csp(
    page, widget_web, widget_site, alice
):
    # Locators only: the page's CSP (no 'unsafe-eval') refuses Playwright's string predicates.
    page.goto(try_url(widget_web, widget_site.id, alice.token))
    page.locator("sitespeak-widget .launch").click()
    page.fill("sitespeak-widget #q", "Where is your shop?")
    page.keyboard.press("Enter")
    answer = page.locator("sitespeak-widget .m.bot", has_text="Harbour Street")
    answer.wait_for(timeout=60000)
    assert page.locator("sitespeak-widget .err").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "widget-try-page.png"))
    assert page.errors == []


def test_the_try_page_suggests_questions_from_the_site_and_the_widget_answers_them(
    page, widget_web, widget_site, alice
):
    page.goto(try_url(widget_web, widget_site.id, alice.token))
    ideas = page.locator("[data-sitespeak-ask]")
    labels = ideas.all_inner_texts()
    assert "Orders" in labels, labels  # the site's own sections...
    assert "Menu" not in labels, labels  # ...that it answers ("Menu?" finds no sentence)
    page.locator("[data-sitespeak-ask]", has_text="Orders").click()
    answer = page.locator("sitespeak-widget .m.bot", has_text="two days")
    answer.wait_for(timeout=60000)
    assert page.locator("sitespeak-widget .m.me").last.inner_text() == "Orders?"
    page.screenshot(path=str(ARTIFACTS / "widget-try-page-suggestions.png"))
    assert page.errors == []


def _start_page_policy(site_id: int, policy: str | None) -> None:
    with database.connection_context():
        Page.update(frame_policy=policy).where(Page.site == site_id, Page.depth == 0).execute()


def test_the_try_page_frames_the_real_site_only_when_its_headers_allow_it(
    widget_web, widget_site, alice
):
    # The test site sends no framing header, so the crawl recorded that anyone may frame it.
    with database.connection_context():
        start = Page.get(Page.site == widget_site.id, Page.depth == 0)
    assert start.frame_policy == "any"
    framed = httpx.get(try_url(widget_web, widget_site.id, alice.token))
    frame = re.search(r'<iframe src="([^"]+)"', framed.text)
    assert frame and frame.group(1) == (start.final_url or start.url)
    assert f"frame-src {widget_site.url};" in framed.headers["content-security-policy"]
    assert "data-sitespeak-ask" in framed.text  # the suggested questions stay
    try:
        _start_page_policy(widget_site.id, "none")  # as a site sending X-Frame-Options: DENY
        preview = httpx.get(try_url(widget_web, widget_site.id, alice.token))
        assert (
            "<iframe" not in preview.text
            and "frame-src" not in preview.headers["content-security-policy"]
        )
        assert "Try asking" in preview.text
    finally:
        _start_page_policy(widget_site.id, "any")


def test_the_framed_try_page_shows_the_site_and_the_widget_answers_over_it(
    page, widget_web, widget_site, alice
):
    page.goto(try_url(widget_web, widget_site.id, alice.token))
    frame = page.frame_locator("iframe")
    frame.locator("body").wait_for(timeout=60_000)
    assert frame.locator("body").inner_text().strip()  # the real page rendered in the frame
    page.locator("sitespeak-widget .launch").click()
    page.fill("sitespeak-widget #q", "Where is your shop?")
    page.keyboard.press("Enter")
    page.locator("sitespeak-widget .m.bot", has_text="Harbour Street").wait_for(timeout=60000)
    page.screenshot(path=str(ARTIFACTS / "widget-try-page-framed.png"))
    assert page.errors == []
