"""The main admin flows in Debian's Chromium (Playwright) against a real web process: log in
through the one-time link, see the dashboard, create a token; CSRF and lockout enforced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.admin.conftest import QUIET_ENV
from tests.support.processes import ROOT, start_web

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "artifacts"
PASSWORD = "browser tested passphrase"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="needs Debian's Chromium: apt-get install -y chromium"
    ),
]


@pytest.fixture(scope="module")
def web(base_env, tmp_path_factory):
    env = {**base_env, **QUIET_ENV, "SITESPEAK_LOGIN_MAX_FAILURES": "3"}
    proc = start_web(env, tmp_path_factory.mktemp("browser"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _setup_link(web, email: str, tenant: str = "Browser Co") -> str:
    env = {**os.environ, **web.env}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sitespeak",
            "createadmin",
            email,
            "--json",
            "--tenant",
            tenant,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["link"]


def sign_in_owner(web, browser, tenant: str):
    """A new owner of ``tenant`` signed in through a one-time link, with that tenant open (a
    superuser sees every tenant: after other modules made theirs, it picks this one). Returns
    the page; close its ``page.context`` when done."""
    link = _setup_link(web, f"owner-{uuid.uuid4().hex[:6]}@example.test", tenant)
    page = browser.new_context().new_page()
    page.goto(link)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=confirm]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(web.url + "/admin/")
    if page.locator("select[name=tenant_id]").count():
        with page.expect_navigation():
            page.select_option("select[name=tenant_id]", label=tenant)
    assert tenant in page.locator(".who").inner_text()
    return page


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_an_owner_sets_a_password_through_the_link_and_creates_a_token(web, browser):
    email = f"boss-{uuid.uuid4().hex[:6]}@example.test"
    link = _setup_link(web, email)
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
    _shot(page, "admin-dashboard.png")
    page.click("nav >> text=API tokens")
    page.fill("input[name=name]", "deploy")
    page.click("text=Create token")
    token = page.locator("#token-value").input_value()
    assert token.startswith("sst_")
    _shot(page, "admin-token-created.png")
    page.reload()  # a reload is a GET: the token is not shown again
    assert page.locator("#token-value").count() == 0
    assert page.locator("td >> text=deploy").is_visible()
    assert not errors, errors  # the CSP let our own script and styles load, nothing else broke


def test_a_form_posted_without_its_csrf_token_is_refused(web, browser):
    email = f"csrf-{uuid.uuid4().hex[:6]}@example.test"
    context = browser.new_context()
    page = context.new_page()
    page.goto(_setup_link(web, email))
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
    _setup_link(web, email)
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
    _shot(page, "admin-locked.png")
