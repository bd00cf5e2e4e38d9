"""Retrieval over a crawled site: paraphrased questions, tenant isolation, embedders."""

from __future__ import annotations

import numpy as np
import pytest

from sitespeak.crawl.refresh import crawl_foreground
from sitespeak.knowledge.embedders import LocalEmbedder, OpenAIEmbedder
from sitespeak.knowledge.indexing import embed_site, pending_count
from sitespeak.knowledge.models import Chunk
from sitespeak.knowledge.retrieval import search
from tests.knowledge.testsite import LoopbackSite, page
from tests.support.fake_openai import serve_fake_openai


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture()
def indexed(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url)
    events = []
    crawl_foreground(site, kb_settings, lambda *event: events.append(event))
    return site, events


def test_the_local_embedder_gives_unit_vectors_that_rank_paraphrases_close(local):
    vectors = local.embed(
        [
            "When are you open on Sunday?",
            "Opening hours: Sunday 9am to 1pm",
            "Birthday cakes can be ordered three days in advance",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("when are you open on sunday", "Sunday"),
        ("is there bread for people who can't eat gluten", "gluten-free"),
        ("who decorates the cakes", "Amira"),
        ("how much is a croissant", "Croissant 2.40"),
        ("what is your phone number", "555 0142"),
    ],
)
def test_paraphrased_questions_find_the_right_section(indexed, local, question, expected):
    site, _ = indexed
    found = search(site.id, question, 3, embedder=local)
    assert found and expected in found[0].text, [(p.heading, p.text[:80]) for p in found]
    assert all(p.site_id == site.id for p in found)


def test_a_passage_points_at_its_section(indexed, local, testsite):
    site, _ = indexed
    top = search(site.id, "public holidays closed", 1, embedder=local)[0]
    assert top.url == testsite.url + "/hours"
    assert top.anchor == "holidays" and top.heading == "Opening hours > Public holidays"
    assert top.title == "Opening hours"


def test_the_foreground_crawl_embeds_everything_and_announces_the_update(indexed, local):
    site, events = indexed
    assert pending_count(site.id, local.name) == 0
    kinds = [e[0] for e in events]
    assert kinds[-1] == "knowledge-base.updated" and events[-1][2]["site_id"] == site.id


def test_two_sites_in_two_tenants_never_see_each_others_passages(
    alice, charlie, make_site, kb_settings, local
):
    with LoopbackSite() as a_site, LoopbackSite() as b_site:
        b_site.pages = {
            "/": page(
                "Garage",
                "<h1 id='g'>Garage</h1><p>We repair bicycles and "
                "are open on Sunday mornings for bakery deliveries.</p>",
            )
        }
        mine = make_site(alice.tenant, a_site.url)
        theirs = make_site(charlie.tenant, b_site.url)
        crawl_foreground(mine, kb_settings, lambda *e: None)
        crawl_foreground(theirs, kb_settings, lambda *e: None)
    mine_ids = {c.id for c in Chunk.select(Chunk.id).where(Chunk.site == mine.id)}
    for question in ("when are you open on sunday", "bakery bread", "repair bicycles"):
        found = search(theirs.id, question, 10, embedder=local)
        assert found and not {p.chunk_id for p in found} & mine_ids
        assert {p.site_id for p in found} == {theirs.id}


def test_the_openai_embedder_speaks_the_wire_protocol_and_a_model_change_re_embeds(indexed, local):
    site, _ = indexed
    total = Chunk.select().where(Chunk.site == site.id).count()
    with serve_fake_openai() as fake:
        remote = OpenAIEmbedder("test-embed", fake.url, "sk-test")
        assert pending_count(site.id, remote.name) == total  # another model: all of it
        result = embed_site(site.id, remote, batch_size=4)
        assert result["embedded"] == total and result["dim"] == 64
        assert fake.requests[0]["path"] == "/v1/embeddings"
        assert fake.requests[0]["headers"]["authorization"] == "Bearer sk-test"
        assert fake.requests[0]["body"]["model"] == "test-embed"
        assert len(fake.requests[0]["body"]["input"]) == 4
        assert embed_site(site.id, remote)["embedded"] == 0  # nothing new: no call
        calls = len(fake.requests)
        found = search(site.id, "gluten-free loaf", 2, embedder=remote)
        assert len(fake.requests) == calls + 1 and "gluten-free" in found[0].text
    assert pending_count(site.id, local.name) == total  # switching back re-embeds too


def test_an_unchanged_recrawl_embeds_nothing_and_a_changed_page_only_its_new_text(
    indexed, kb_settings, testsite
):
    site, _ = indexed
    again = crawl_foreground(site, kb_settings, lambda *e: None)
    assert (
        again["embedding"]["embedded"] == 0
        and again["unchanged"] == again["pages"] - again["failed"]
    )
    testsite.pages["/team"] = page(
        "The team",
        "<h1 id='team'>The team</h1><p>Our head baker "
        "Tomasz starts the ovens at four in the morning; Amira "
        "decorates every celebration cake.</p><h2 id='new'>New</h2>"
        "<p>Jun joined us as an apprentice in November.</p>",
    )
    changed = crawl_foreground(site, kb_settings, lambda *e: None)
    assert changed["changed"] == 1
    assert changed["embedding"]["embedded"] == 1  # the unchanged first section kept its vector
