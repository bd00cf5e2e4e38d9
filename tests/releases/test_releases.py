"""Releases of a crawled site: the safety gate, publishing, rollback and what retrieval reads."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from sitespeak import sites
from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.db.models import Site
from sitespeak.errors import Conflict, NotFound
from sitespeak.events.bus import EventType, nowhere
from sitespeak.knowledge.models import Chunk
from sitespeak.knowledge.retrieval import search
from sitespeak.releases import switch
from sitespeak.releases.candidates import set_review_every_release
from sitespeak.releases.models import Release
from tests.knowledge.testsite import page
from tests.support.processes import run_command


def answer(site: Site, question: str, embedder) -> str:
    """The texts of the top passages a visitor's question is answered from."""
    return " ".join(p.text for p in search(site.id, question, 3, embedder=embedder))


def releases_of(site: Site) -> dict[int, Release]:
    return {r.number: r for r in Release.select().where(Release.site == site.id)}


def live_number(site: Site) -> int | None:
    live = Site.get_by_id(site.id).live_release_id
    return Release.get_by_id(live).number if live else None


@pytest.fixture()
def published(alice, testsite, make_site, kb_settings, events):
    """A site crawled once: its release 1 published by itself."""
    site = make_site(alice.tenant, testsite.url)
    crawl_foreground(site, kb_settings, events)
    return site


def test_a_first_crawl_publishes_release_one_by_itself(published, events):
    first = releases_of(published)[1]
    assert first.state == "live" and first.published_by == "automatic"
    assert first.stats["pages"] >= 6 and first.stats["chunks"] > first.stats["pages"] - 1
    assert live_number(published) == 1
    assert (
        events.of(EventType.KNOWLEDGE_UPDATED)[-1]["version"]
        == Site.get_by_id(published.id).knowledge_version
    )


def test_a_recrawl_of_a_site_answering_500_everywhere_is_held_and_answers_do_not_change(
    published, testsite, kb_settings, events, local
):
    before = answer(published, "who decorates the celebration cakes", local)
    assert "Amira" in before
    testsite.failing = 500
    crawl_foreground(published, kb_settings, events)
    held = releases_of(published)[2]
    assert held.state == "held"
    assert any("pages" in why and "loses" in why for why in held.held_because), held.held_because
    assert any("failed" in why for why in held.held_because), held.held_because
    assert held.diff["counts"]["removed"] >= 5
    assert held.diff["failed"] and "500" in held.diff["failed"][0]["reason"]
    assert live_number(published) == 1
    assert answer(published, "who decorates the celebration cakes", local) == before


def test_publishing_a_held_candidate_makes_it_live_and_rollback_brings_the_old_text_back(
    alice, published, testsite, kb_settings, settings, events, local
):
    testsite.failing = 500
    crawl_foreground(published, kb_settings, events)
    version = Site.get_by_id(published.id).knowledge_version
    switch.publish(alice.tenant.id, published.id, 2, alice.user.email, settings, events)
    assert live_number(published) == 2
    assert Site.get_by_id(published.id).knowledge_version == version + 1
    assert "Amira" not in answer(published, "who decorates the celebration cakes", local)
    assert releases_of(published)[2].published_by == alice.user.email

    switch.rollback(alice.tenant.id, published.id, 1, alice.user.email, settings, events)
    assert live_number(published) == 1
    assert {n: r.state for n, r in releases_of(published).items()} == {1: "live", 2: "archived"}
    assert "Amira" in answer(published, "who decorates the celebration cakes", local)
    assert events.of(EventType.KNOWLEDGE_UPDATED)[-1]["version"] == version + 2


def test_a_changed_page_publishes_by_itself_and_rollback_answers_with_the_old_text(
    alice, published, testsite, kb_settings, settings, events, local
):
    testsite.pages["/team"] = page(
        "The team",
        "<h1 id='team'>The team</h1><p>Our head baker Jonas decorates every celebration cake.</p>",
    )
    crawl_foreground(published, kb_settings, events)
    second = releases_of(published)[2]
    assert second.state == "live" and second.held_because == []
    assert second.diff["changed"] == [testsite.url + "/team"]
    assert "Jonas" in answer(published, "who decorates the celebration cakes", local)

    switch.rollback(alice.tenant.id, published.id, 1, "alice", settings, events)
    text = answer(published, "who decorates the celebration cakes", local)
    assert "Amira" in text and "Jonas" not in text


def test_a_recrawl_that_changed_nothing_makes_no_release(published, kb_settings, events):
    crawl_foreground(published, kb_settings, events)
    assert set(releases_of(published)) == {1}


def test_a_site_asking_for_review_holds_even_a_harmless_candidate(
    alice, published, testsite, kb_settings, settings, events
):
    set_review_every_release(alice.tenant.id, published.id, True)
    testsite.pages["/menu"] = page("Menu", "<h1 id='menu'>Menu</h1><p>Croissant 2.60.</p>")
    crawl_foreground(published, kb_settings, events)
    held = releases_of(published)[2]
    assert held.state == "held"
    assert held.held_because == ["the site asks for a review of every release"]
    switch.discard(alice.tenant.id, published.id, 2, "alice", events)
    assert releases_of(published)[2].state == "discarded"
    with pytest.raises(Conflict):
        switch.publish(alice.tenant.id, published.id, 2, "alice", settings, events)


def test_only_the_newest_kept_releases_can_be_rolled_back_to_and_the_rest_are_swept(
    alice, published, testsite, kb_settings, settings, events
):
    kept = settings.model_copy(update={"releases_kept": 2})
    for price in ("2.50", "2.60", "2.70"):
        testsite.pages["/menu"] = page("Menu", f"<h1 id='menu'>Menu</h1><p>Croissant {price}.</p>")
        crawl_foreground(published, kept, events)
    assert live_number(published) == 4
    assert [n for n, r in sorted(releases_of(published).items()) if r.kept] == [3, 4]
    with pytest.raises(Conflict, match="no longer kept"):
        switch.rollback(alice.tenant.id, published.id, 1, "alice", kept, events)
    switch.sweep_chunks()
    menus = Chunk.select().where(Chunk.site == published.id, Chunk.url.endswith("/menu"))
    texts = " ".join(c.text for c in menus)
    assert "2.40" not in texts and "2.50" not in texts and "2.60" in texts and "2.70" in texts
    switch.rollback(alice.tenant.id, published.id, 3, "alice", kept, events)
    assert live_number(published) == 3


def test_another_tenant_can_neither_see_nor_switch_a_sites_releases(
    charlie, published, settings, events
):
    assert switch.list_releases(charlie.tenant.id, published.id) == []
    with pytest.raises(NotFound):
        switch.rollback(charlie.tenant.id, published.id, 1, "charlie", settings, events)
    with pytest.raises(NotFound):
        switch.get_release(charlie.tenant.id, published.id, 1)


def test_a_site_with_releases_can_be_deleted(alice, published):
    sites.delete_site(alice.tenant.id, published.id, nowhere)
    assert not Release.select().where(Release.site == published.id).exists()


def sitespeak(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_command({**os.environ, **env}, *args, timeout=120)


@pytest.mark.slow
def test_the_command_line_lists_releases_and_rolls_back(
    published, testsite, kb_settings, events, base_env
):
    testsite.pages["/menu"] = page("Menu", "<h1 id='menu'>Menu</h1><p>Croissant 2.60.</p>")
    crawl_foreground(published, kb_settings, events)
    listed = sitespeak(base_env, "knowledge-release", "list", str(published.id), "--json")
    assert listed.returncode == 0, listed.stderr
    states = [(r["number"], r["state"]) for r in json.loads(listed.stdout)["releases"]]
    assert states == [(2, "live"), (1, "archived")]
    # `release`, its first name, still works.
    done = sitespeak(base_env, "release", "rollback", str(published.id), "1", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["state"] == "live" and live_number(published) == 1
    again = sitespeak(base_env, "knowledge-release", "rollback", str(published.id), "1")
    assert again.returncode != 0 and "release 1 is live" in again.stderr
