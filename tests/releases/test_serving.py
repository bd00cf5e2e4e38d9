"""What a release serves besides its text: the voice options and the action catalog it was
published with, the chat tools' pages and sections, and automatic publishing paused by a
rollback. The owner's edits of the voice or the actions apply at once as a release of their own."""

from __future__ import annotations

import pytest

from sitespeak.actions import catalog
from sitespeak.actions.models import SiteAction
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.models import Site
from sitespeak.errors import NotFound
from sitespeak.releases import candidates, edits, pausing, serving, switch
from sitespeak.releases.models import Release
from sitespeak.sites import voice_options
from sitespeak.voice.answer import Answer
from sitespeak.web.providers_setup import live_catalog
from tests.knowledge.testsite import page


def releases_of(site: Site) -> dict[int, Release]:
    return {r.number: r for r in Release.select().where(Release.site == site.id)}


def live_number(site: Site) -> int | None:
    live = Site.get_by_id(site.id).live_release_id
    return Release.get_by_id(live).number if live else None


def greeting(site: Site) -> str:
    return serving.serving_options(Site.get_by_id(site.id))["greeting"]


def offered_urls(site: Site, kind: str = "navigate") -> set[str]:
    return {a.url for a in serving.offered_actions(site.id) if a.kind == kind}


def contact_action(site: Site) -> SiteAction:
    return next(
        a
        for a in catalog.list_actions(site.tenant_id, site.id, kind="navigate")
        if a.url.endswith("/contact")
    )


def with_greeting(site: Site, text: str) -> voice_options.VoiceOptions:
    return voice_options.voice_options(Site.get_by_id(site.id)).model_copy(
        update={"greeting": text}
    )


@pytest.fixture()
def published(alice, testsite, make_site, kb_settings, events):
    """A site crawled once: its release 1 published by itself."""
    site = make_site(alice.tenant, testsite.url)
    crawl_foreground(site, kb_settings, events)
    return site


def test_an_edit_of_the_voice_or_the_actions_applies_at_once_as_a_release_and_rollback_undoes_it(
    alice, published, settings, events
):
    email = alice.user.email
    contact = contact_action(published)
    assert any(u.endswith("/contact") for u in offered_urls(published))

    edits.set_voice_options(
        alice.tenant.id,
        published.id,
        with_greeting(published, "Hi, Rosie here."),
        email,
        settings,
        events,
    )
    assert live_number(published) == 2
    assert greeting(published) == "Hi, Rosie here."
    second = releases_of(published)[2]
    assert second.source == "settings" and second.published_by == email
    assert second.diff["settings"] == ["greeting changed"]
    assert second.stats == releases_of(published)[1].stats  # the same content

    edits.set_action_enabled(
        alice.tenant.id, published.id, contact.id, False, email, settings, events
    )
    assert live_number(published) == 3
    assert not any(u.endswith("/contact") for u in offered_urls(published))
    reply = serving.vet(
        published.id,
        "",
        Answer(
            ["Here."],
            [],
            True,
            [{"kind": "navigate", "url": contact.url, "anchor": "", "label": "Contact"}],
        ),
    )
    assert reply.actions == [], "a switched-off page is no target"

    switch.rollback(alice.tenant.id, published.id, 1, email, settings, events)
    assert greeting(published) == ""
    assert any(u.endswith("/contact") for u in offered_urls(published))
    # The site's own settings are the live release's again: the admin shows what visitors get.
    assert voice_options.voice_options(Site.get_by_id(published.id)).greeting == ""
    assert SiteAction.get_by_id(contact.id).enabled

    switch.rollback(alice.tenant.id, published.id, 3, email, settings, events)
    assert greeting(published) == "Hi, Rosie here."
    assert not any(u.endswith("/contact") for u in offered_urls(published))
    assert not SiteAction.get_by_id(contact.id).enabled


def test_voice_edits_never_push_a_knowledge_release_out_of_a_rollbacks_reach(
    alice, published, testsite, kb_settings, settings, events
):
    kept = settings.model_copy(update={"releases_kept": 2})
    testsite.pages["/menu"] = page("Menu", "<h1 id='menu'>Menu</h1><p>Croissant 2.90.</p>")
    crawl_foreground(published, kb_settings.model_copy(update={"releases_kept": 2}), events)
    assert live_number(published) == 2
    for n, text in enumerate(("Hi!", "Hello!", "Welcome!"), start=3):
        edits.set_voice_options(
            alice.tenant.id, published.id, with_greeting(published, text), "alice", kept, events
        )
        assert live_number(published) == n

    kept_now = [n for n, r in sorted(releases_of(published).items()) if r.kept]
    assert kept_now == [1, 2, 4, 5]  # both crawls, and the newest two edits
    switch.rollback(alice.tenant.id, published.id, 1, "alice", kept, events)
    assert live_number(published) == 1


def test_saving_the_same_settings_again_makes_no_release(alice, published, settings, events):
    same = voice_options.voice_options(Site.get_by_id(published.id))
    edits.set_voice_options(alice.tenant.id, published.id, same, "alice", settings, events)
    assert set(releases_of(published)) == {1}


def test_a_held_candidate_offers_no_new_action_page_or_section_until_it_is_published(
    alice, published, testsite, kb_settings, settings, events
):
    candidates.set_review_every_release(alice.tenant.id, published.id, True)
    testsite.pages["/order"] = page(
        "Order a cake",
        "<h1 id='order'>Order a cake</h1><p>Cakes are made to order.</p>"
        "<h2 id='flavours'>Flavours</h2><p>Lemon, chocolate and carrot.</p>"
        "<form id='cake-order' method='post' action='/order'><input name='name'>"
        "<button>Send order</button></form>",
    )
    testsite.pages["/"] = testsite.pages["/"].replace(
        '<a href="/about">', '<a href="/order">Order</a> <a href="/about">'
    )
    crawl_foreground(published, kb_settings, events)
    assert releases_of(published)[2].state == "held"
    # The site's catalog already knows the page (it is rebuilt from the crawl), visitors don't.
    assert any(
        a.url.endswith("/order") for a in catalog.list_actions(alice.tenant.id, published.id)
    )
    assert not any(u.endswith("/order") for u in offered_urls(published, "fill"))
    tools = live_catalog(published.id)
    assert "flavours" not in tools.sections and not any(u.endswith("/order") for u in tools.pages)

    switch.publish(alice.tenant.id, published.id, 2, "alice", settings, events)
    assert any(u.endswith("/order") for u in offered_urls(published, "fill"))
    tools = live_catalog(published.id)
    assert tools.sections["flavours"][0].endswith("/order")

    switch.rollback(alice.tenant.id, published.id, 1, "alice", settings, events)
    assert not any(u.endswith("/order") for u in offered_urls(published, "fill"))
    assert "flavours" not in live_catalog(published.id).sections


def test_publishing_a_candidate_held_before_a_voice_edit_keeps_the_edit(
    alice, published, testsite, kb_settings, settings, events
):
    testsite.failing = 500
    crawl_foreground(published, kb_settings, events)
    assert releases_of(published)[2].state == "held"
    edits.set_voice_options(
        alice.tenant.id,
        published.id,
        with_greeting(published, "Welcome back."),
        "alice",
        settings,
        events,
    )
    assert live_number(published) == 3 and releases_of(published)[2].state == "held"
    switch.publish(alice.tenant.id, published.id, 2, "alice", settings, events)
    assert greeting(published) == "Welcome back."


def test_after_a_rollback_the_next_crawl_waits_for_review_until_the_owner_publishes(
    alice, published, testsite, kb_settings, settings, events
):
    testsite.pages["/team"] = page("The team", "<h1 id='team'>The team</h1><p>Jonas bakes.</p>")
    crawl_foreground(published, kb_settings, events)
    assert live_number(published) == 2  # the gate passed it
    switch.rollback(alice.tenant.id, published.id, 1, alice.user.email, settings, events)
    paused = pausing.paused(Site.get_by_id(published.id))
    assert paused and paused["number"] == 1 and paused["by"] == alice.user.email

    testsite.pages["/team"] = page("The team", "<h1 id='team'>The team</h1><p>Jonas bakes.</p>")
    testsite.pages["/hours"] = testsite.pages["/hours"].replace("7am", "6am")
    crawl_foreground(published, kb_settings, events)
    held = releases_of(published)[3]
    assert held.state == "held" and live_number(published) == 1
    assert any("paused" in why and "rolled back to release 1" in why for why in held.held_because)

    switch.publish(alice.tenant.id, published.id, 3, alice.user.email, settings, events)
    assert pausing.paused(Site.get_by_id(published.id)) is None
    testsite.pages["/hours"] = testsite.pages["/hours"].replace("6am", "5am")
    crawl_foreground(published, kb_settings, events)
    assert live_number(published) == 4  # the gate decides again


def test_resuming_lets_the_gate_publish_again_without_publishing_anything(
    alice, published, testsite, kb_settings, settings, events
):
    testsite.pages["/hours"] = testsite.pages["/hours"].replace("7am", "6am")
    crawl_foreground(published, kb_settings, events)
    switch.rollback(alice.tenant.id, published.id, 1, "alice", settings, events)
    candidates.resume_publishing(alice.tenant.id, published.id)
    testsite.pages["/hours"] = testsite.pages["/hours"].replace("6am", "5am")
    crawl_foreground(published, kb_settings, events)
    assert live_number(published) == 3


def test_another_tenant_can_neither_edit_nor_resume_a_sites_settings(
    alice, charlie, published, settings, events
):
    contact = contact_action(published)
    with pytest.raises(NotFound):
        edits.set_voice_options(
            charlie.tenant.id,
            published.id,
            with_greeting(published, "Hacked."),
            "charlie",
            settings,
            events,
        )
    with pytest.raises(NotFound):
        edits.set_action_enabled(
            charlie.tenant.id, published.id, contact.id, False, "charlie", settings, events
        )
    with pytest.raises(NotFound):
        candidates.resume_publishing(charlie.tenant.id, published.id)
    assert set(releases_of(published)) == {1}
    assert greeting(published) == "" and SiteAction.get_by_id(contact.id).enabled


def test_a_release_made_by_the_migration_serves_the_sites_own_settings(
    alice, published, settings, events
):
    # As m0030 made every site's release 1: its chunks, no settings recorded.
    Release.update(actions=[], voice={}).where(
        Release.site == published.id, Release.number == 1
    ).execute()
    site = Site.get_by_id(published.id)
    Site.update(options={**(site.options or {}), "greeting": "Set before releases."}).where(
        Site.id == published.id
    ).execute()
    assert greeting(published) == "Set before releases."
    assert any(u.endswith("/contact") for u in offered_urls(published))

    edits.set_voice_options(
        alice.tenant.id,
        published.id,
        with_greeting(published, "Newer."),
        "alice",
        settings,
        events,
    )
    assert live_number(published) == 2 and greeting(published) == "Newer."
    switch.rollback(alice.tenant.id, published.id, 1, "alice", settings, events)
    assert greeting(published) == "Newer.", "nothing recorded, nothing restored"
    assert any(u.endswith("/contact") for u in offered_urls(published))
