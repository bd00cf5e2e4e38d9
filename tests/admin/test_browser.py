"""The main admin flows in Debian's Chromium (Playwright) against a real web process: log in
through the one-time link, see the dashboard, create a token; CSRF and lockout enforced."""

from __future__ import annotations

import uuid

import pytest

from tests.admin.conftest import QUIET_ENV
from tests.support.browser import PASSWORD, needs_chromium, setup_link, shot
from tests.support.processes import start_web

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def web(base_env, tmp_path_factory):
    env = {**base_env, **QUIET_ENV, "SITESPEAK_LOGIN_MAX_FAILURES": "3"}
    proc = start_web(env, tmp_path_factory.mktemp("browser"))
    yield proc
    proc.stop()


def test_an_owner_sets_a_password_through_the_link_and_creates_a_token(web, browser):
    email = f"boss-{uuid.uuid4().hex[:6]}@example.test"
    link = setup_link(web, email)
    assert link.startswith(web.url + "/admin/setup/")
    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(link)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(web.url + "/admin/")
    assert page.locator("h1").inner_text() == "Dashboard"
    assert page.locator("text=Workers and queues").is_visible()
    assert page.locator("text=Add your first site").is_visible()
    shot(page, "admin-dashboard.png")
    page.click("nav >> text=API tokens")
    page.fill("input[name=name]", "deploy")
    page.click("text=Create token")
    token = page.locator("#token-value").input_value()
    assert token.startswith("sst_")
    shot(page, "admin-token-created.png")
    page.reload()  # a reload is a GET: the token is not shown again
    assert page.locator("#token-value").count() == 0
    assert page.locator("td >> text=deploy").is_visible()
    assert not errors, errors  # the CSP let our own script and styles load, nothing else broke


def test_a_form_posted_without_its_csrf_token_is_refused(web, browser):
    email = f"csrf-{uuid.uuid4().hex[:6]}@example.test"
    context = browser.new_context()
    page = context.new_page()
    page.goto(setup_link(web, email))
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(web.url + "/admin/")
    # Same cookies as the logged-in page, as a cross-site form would send (SameSite aside).
    forged = context.request.post(
        web.url + "/admin/tokens", form={"name": "evil", "scope": "write"}
    )
    assert forged.status == 403 and "CSRF" in forged.text()
    page.goto(web.url + "/admin/tokens")
    assert page.locator("td >> text=evil").count() == 0


def test_the_login_page_locks_an_account_after_repeated_wrong_passwords(web, browser):
    email = f"lock-{uuid.uuid4().hex[:6]}@example.test"
    setup_link(web, email)
    page = browser.new_context().new_page()
    for _ in range(3):
        page.goto(web.url + "/admin/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", "not the password")
        page.click("button.primary")
        assert page.locator("text=Wrong e-mail or password").is_visible()
    page.goto(web.url + "/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "not the password either")
    page.click("button.primary")
    assert page.locator("text=locked").first.is_visible()
    shot(page, "admin-locked.png")
