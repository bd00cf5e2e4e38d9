"""The Knowledge releases page in Chromium, against a real web process and worker: an owner sees
why a candidate was held and what failed, publishes it, then rolls back to the earlier release."""

from __future__ import annotations

import uuid

import pytest

from sitespeak import sites
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.releases.models import Release
from sitespeak.tenancy import tenants
from tests.admin.conftest import QUIET_ENV
from tests.conftest import own_queues
from tests.support.browser import chromium, needs_chromium, shot, sign_in_owner
from tests.support.processes import start_web, start_worker, wait_for

pytestmark = [pytest.mark.slow, needs_chromium]


@pytest.fixture(scope="module")
def stack(base_env, tmp_path_factory):
    logs = tmp_path_factory.mktemp("releases-browser")
    env = own_queues({**base_env, **QUIET_ENV})
    worker = start_worker(env, logs, SITESPEAK_WORKER_QUEUES="critical")
    web = start_web(env, logs, 60)
    yield web
    web.stop()
    worker.stop()


@pytest.fixture()
def owner_tab(stack):
    """Chromium signed in as the owner of a fresh tenant; yields (tab, tenant name)."""
    tenant = f"Releases {uuid.uuid4().hex[:6]}"
    with chromium() as browser:
        yield sign_in_owner(stack, browser, tenant), tenant


def live_number(site_id: int) -> int:
    with database.connection_context():
        return Release.get_by_id(Site.get_by_id(site_id).live_release_id).number


def test_an_owner_publishes_a_held_candidate_then_rolls_back_in_the_browser(
    stack, owner_tab, testsite, kb_settings
):
    tab, tenant_name = owner_tab
    with database.connection_context():
        tenant = tenants.get_tenant(tenant_name)
        site = sites.create_site(tenant.id, "Bakery", [testsite.url + "/"], True, privileged=True)
        crawl_foreground(site, kb_settings, lambda *_: None)
        testsite.failing = 500
        crawl_foreground(site, kb_settings, lambda *_: None)

    tab.goto(f"{stack.url}/admin/sites/{site.id}")
    tab.click(".subnav >> text=Knowledge releases")
    assert tab.url.endswith(f"/admin/sites/{site.id}/knowledge-releases")
    held = tab.locator("section.held")
    assert "Release 2 is waiting for review" in held.inner_text()
    assert "HTTP 500" in held.locator("table.diff-failed").inner_text()
    assert "pages it tried failed" in held.locator("ul.reasons").inner_text()
    shot(tab, "releases-held.png")

    held.locator("button", has_text="Publish").click()
    tab.locator('tr[data-release="2"][data-state="live"]').wait_for(timeout=30_000)
    assert live_number(site.id) == 2
    assert tab.locator("section.held").count() == 0

    tab.locator('tr[data-release="1"] button', has_text="Rollback").click()
    tab.locator('tr[data-release="1"][data-state="live"]').wait_for(timeout=30_000)
    wait_for(lambda: live_number(site.id) == 1, 60, 0.1, "release 1 to be live")
    row = tab.locator('tr[data-release="1"]').inner_text()
    assert "@example.test" in row  # who rolled back
    shot(tab, "releases-rolled-back.png")
