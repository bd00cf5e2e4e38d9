"""The Releases page of a site in the admin UI (in-process app): the history and a held
candidate's diff for its owner, no buttons and no switching for a viewer, nothing for another
tenant."""

from __future__ import annotations

import uuid

import pytest

from sitespeak import sites
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.connection import database


@pytest.fixture()
def held_site(alice, testsite, kb_settings):
    """A site with release 1 live and release 2 held (the site answered 500 everywhere). Its
    own connection, not the ``db`` fixture's: the app under test runs on its pool's threads."""
    with database.connection_context():
        name = f"held-{uuid.uuid4().hex[:6]}"
        site = sites.create_site(alice.tenant.id, name, [testsite.url + "/"], True, privileged=True)
        crawl_foreground(site, kb_settings, lambda *_: None)
        testsite.failing = 500
        crawl_foreground(site, kb_settings, lambda *_: None)
    return site


async def test_the_owner_sees_the_history_and_the_held_candidates_diff(alice, held_site, login):
    browser = await login(alice)
    response, body = await browser.get(f"/admin/sites/{held_site.id}/releases")
    assert response.status_code == 200
    assert "Release 2 is waiting for review" in body
    assert "HTTP 500" in body and "pages it tried failed" in body
    assert ">Publish</button>" in body and ">Discard</button>" in body
    assert 'data-release="1" data-state="live"' in body


async def test_a_viewer_reads_the_page_but_cannot_publish(bob, held_site, login):
    browser = await login(bob)
    response, body = await browser.get(f"/admin/sites/{held_site.id}/releases")
    assert response.status_code == 200 and "Release 2 is waiting for review" in body
    assert ">Publish</button>" not in body
    response, _ = await browser.post(f"/admin/sites/{held_site.id}/releases/2/publish", {})
    assert response.status_code == 403


async def test_another_tenant_gets_a_404(charlie, held_site, login):
    browser = await login(charlie)
    response, _ = await browser.get(f"/admin/sites/{held_site.id}/releases")
    assert response.status_code == 404
    response, _ = await browser.post(f"/admin/sites/{held_site.id}/releases/2/publish", {})
    assert response.status_code == 404
