"""Debian's Chromium driven by Playwright, started the same way by every browser test and bench,
and an owner signed in to the admin through a one-time setup link as a real one would be."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.processes import ROOT, Proc, run_command
from tests.support.slow_tests import check_may_start

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
MISSING = "needs Debian's Chromium: apt-get install -y chromium"
ARTIFACTS = ROOT / "artifacts"
PASSWORD = "browser tested passphrase"
# A test run must not reach out on its own (updates, pings, first-run pages); root in CI has no
# user namespace for the sandbox.
ARGS = (
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason=MISSING)


@contextmanager
def chromium(*args: str) -> Iterator[Browser]:
    """Chromium with ARGS and ``args``; skips the test when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(MISSING)
    check_may_start("Chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[*ARGS, *args])
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def watched_tab(browser: Browser) -> Iterator[Page]:
    """A tab in a fresh context (its own storage) of a desktop-sized window, collecting the
    page's uncaught errors in ``tab.errors`` for the test to assert none happened."""
    context = browser.new_context(viewport={"width": 1100, "height": 800})
    tab = context.new_page()
    tab.errors = []  # type: ignore[attr-defined]
    tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))  # type: ignore[attr-defined]
    try:
        yield tab
    finally:
        context.close()


def setup_link(web: Proc, email: str, tenant: str = "Browser Co") -> str:
    """A one-time setup link for a new admin of ``tenant``, made by the real command."""
    out = run_command({**os.environ, **web.env}, "createadmin", email, "--json", "--tenant", tenant)
    assert out.returncode == 0, out.stderr
    return str(json.loads(out.stdout)["link"])


def sign_in_owner(web: Proc, browser: Browser, tenant: str, **context: Any) -> Page:
    """A new owner of ``tenant`` signed in through a one-time link, with that tenant open (a
    superuser sees every tenant: after other modules made theirs, it picks this one), in a
    browser context made with ``context``. Close its ``page.context`` when done."""
    link = setup_link(web, f"owner-{uuid.uuid4().hex[:6]}@example.test", tenant)
    page = browser.new_context(**context).new_page()
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


def shot(page: Page, name: str) -> None:
    """A full-page screenshot in artifacts/, for a human to look at after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
