"""The Knowledge releases page of a site in the admin UI (in-process app): the history and a held
candidate's diff for its owner, no buttons and no switching for a viewer, nothing for another
tenant."""

from __future__ import annotations

import uuid

import pytest

from sitespeak import sites
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.connection import database
from sitespeak.releases import switch


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
    response, body = await browser.get(f"/admin/sites/{held_site.id}/knowledge-releases")
    assert response.status_code == 200
    assert "Release 2 is waiting for review" in body
    assert "HTTP 500" in body and "pages it tried failed" in body
    assert ">Publish</button>" in body and ">Discard</button>" in body
    assert 'data-release="1" data-state="live"' in body


async def test_a_viewer_reads_the_page_but_cannot_publish(bob, held_site, login):
    browser = await login(bob)
    response, body = await browser.get(f"/admin/sites/{held_site.id}/knowledge-releases")
    assert response.status_code == 200 and "Release 2 is waiting for review" in body
    assert ">Publish</button>" not in body
    response, _ = await browser.post(
        f"/admin/sites/{held_site.id}/knowledge-releases/2/publish", {}
    )
    assert response.status_code == 403


async def test_another_tenant_gets_a_404(charlie, held_site, login):
    browser = await login(charlie)
    response, _ = await browser.get(f"/admin/sites/{held_site.id}/knowledge-releases")
    assert response.status_code == 404
    response, _ = await browser.post(
        f"/admin/sites/{held_site.id}/knowledge-releases/2/publish", {}
    )
    assert response.status_code == 404


@pytest.fixture()
def rolled_back(alice, testsite, kb_settings, settings):
    """A site whose owner rolled back from release 2 (a changed page) to release 1."""
    from tests.knowledge.testsite import page

    with database.connection_context():
        name = f"back-{uuid.uuid4().hex[:6]}"
        site = sites.create_site(alice.tenant.id, name, [testsite.url + "/"], True, privileged=True)
        crawl_foreground(site, kb_settings, lambda *_: None)
        testsite.pages["/team"] = page("The team", "<h1 id='team'>Team</h1><p>Jonas bakes.</p>")
        crawl_foreground(site, kb_settings, lambda *_: None)
        switch.rollback(alice.tenant.id, site.id, 1, alice.user.email, settings, lambda *_: None)
    return site


async def test_after_a_rollback_the_page_says_publishing_is_paused_and_the_owner_can_resume(
    alice, bob, rolled_back, login
):
    viewer = await login(bob)
    _, body = await viewer.get(f"/admin/sites/{rolled_back.id}/knowledge-releases")
    assert "Automatic publishing is paused" in body and "Resume automatic publishing" not in body
    response, _ = await viewer.post(f"/admin/sites/{rolled_back.id}/knowledge-releases/resume", {})
    assert response.status_code == 403

    browser = await login(alice)
    _, body = await browser.get(f"/admin/sites/{rolled_back.id}/knowledge-releases")
    assert "Automatic publishing is paused" in body
    assert f"{alice.user.email} rolled back to release 1" in body
    response, _ = await browser.post(f"/admin/sites/{rolled_back.id}/knowledge-releases/resume", {})
    assert response.status_code == 303
    _, body = await browser.get(f"/admin/sites/{rolled_back.id}/knowledge-releases")
    assert "Automatic publishing is paused" not in body


async def test_saving_the_voice_form_makes_a_settings_release_in_the_history(
    alice, charlie, rolled_back, login
):
    form = {"greeting": "Welcome to the bakery!", "persona": "", "ack_sound": "on"}
    intruder = await login(charlie)
    response, _ = await intruder.post(f"/admin/sites/{rolled_back.id}/voice", form)
    assert response.status_code == 404

    browser = await login(alice)
    response, _ = await browser.post(f"/admin/sites/{rolled_back.id}/voice", form)
    assert response.status_code == 303
    _, body = await browser.get(f"/admin/sites/{rolled_back.id}/knowledge-releases")
    assert 'data-release="3" data-state="live"' in body
    assert "settings: greeting changed" in body
    assert "Automatic publishing is paused" in body  # an edit publishes no new content


async def test_the_api_shows_the_pause_and_an_owner_resumes_it(
    app, alice, bob, charlie, rolled_back
):
    client = app.test_client()
    path = f"/api/v1/sites/{rolled_back.id}/knowledge-releases"

    def bearer(persona) -> dict[str, str]:
        return {"Authorization": f"Bearer {persona.token}"}

    listed = await (await client.get(path, headers=bearer(bob))).get_json()
    assert listed["publishing_paused"]["number"] == 1
    assert (await client.post(f"{path}/resume", headers=bearer(bob))).status_code == 403
    assert (await client.post(f"{path}/resume", headers=bearer(charlie))).status_code == 404
    assert (await client.get(path, headers=bearer(charlie))).status_code == 404
    response = await client.post(f"{path}/resume", headers=bearer(alice))
    assert response.status_code == 200
    assert (await response.get_json())["publishing_paused"] is None


async def test_switching_an_action_off_through_the_api_publishes_a_settings_release(
    app, alice, charlie, rolled_back
):
    from sitespeak.releases import serving

    client = app.test_client()
    with database.connection_context():
        contact = next(
            a.id
            for a in serving.offered_actions(rolled_back.id)
            if a.kind == "navigate" and a.url.endswith("/contact")
        )
    path = f"/api/v1/sites/{rolled_back.id}/actions/{contact}"
    denied = await client.patch(
        path, json={"enabled": False}, headers={"Authorization": f"Bearer {charlie.token}"}
    )
    assert denied.status_code == 404
    response = await client.patch(
        path, json={"enabled": False}, headers={"Authorization": f"Bearer {alice.token}"}
    )
    assert response.status_code == 200, await response.get_data(as_text=True)
    with database.connection_context():
        assert contact not in {a.id for a in serving.offered_actions(rolled_back.id)}
        [latest, *_] = switch.list_releases(alice.tenant.id, rolled_back.id)
    assert (latest.number, latest.state, latest.source) == (3, "live", "settings")
    assert latest.diff["settings"] == ["1 action(s) switched off"]


async def test_the_pages_old_paths_redirect_permanently_to_the_knowledge_releases(
    alice, held_site, login
):
    browser = await login(alice)
    new = f"/admin/sites/{held_site.id}/knowledge-releases"
    response, _ = await browser.get(f"/admin/sites/{held_site.id}/releases?tab=held")
    assert response.status_code == 308
    assert response.headers["Location"] == f"{new}?tab=held"
    # A form of a page opened before the move: 308 has the browser POST it again, there.
    response, _ = await browser.post(f"/admin/sites/{held_site.id}/releases/2/publish", {})
    assert response.status_code == 308
    assert response.headers["Location"] == f"{new}/2/publish"
    _, body = await browser.get(new)
    assert "Knowledge releases" in body and "Release 2 is waiting for review" in body
