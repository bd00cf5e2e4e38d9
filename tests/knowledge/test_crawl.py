"""Crawling the loopback test website: discovery, robots, failures, change tracking, SSRF."""

from __future__ import annotations

from sitespeak import sites
from sitespeak.crawl.run import crawl_site
from sitespeak.knowledge.models import Chunk, CrawlRun
from tests.knowledge.conftest import chunk_ids, outcomes, pages_by_path
from tests.knowledge.testsite import page

INDEXED = {"/", "/hours", "/faq", "/contact", "/about", "/team", "/menu"}


def test_a_crawl_finds_pages_through_the_sitemap_index_and_links(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    totals = crawl_site(site, kb_settings)
    found = outcomes(totals["run_id"], testsite.url)
    assert {path for path, o in found.items() if o.outcome == "new"} == INDEXED
    assert testsite.fetched("/sitemap-pages.xml") == 1  # reached through the sitemap index
    assert totals["new"] == len(INDEXED)
    run = CrawlRun.get_by_id(totals["run_id"])
    assert run.status == "succeeded" and run.totals["new"] == len(INDEXED)


def test_the_page_robots_txt_disallows_is_never_fetched(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    assert testsite.fetched("/private/staff") == 0
    assert "/private/staff" not in pages_by_path(site, testsite.url)


def test_a_redirect_is_followed_and_recorded_on_the_page_it_leads_to(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    pages = pages_by_path(site, testsite.url)
    assert "/old-menu" not in pages
    assert pages["/menu"].redirects == [
        {"from": testsite.url + "/old-menu", "to": testsite.url + "/menu", "status": 301}
    ]


def test_broken_pages_are_recorded_with_a_reason_and_the_crawl_goes_on(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    totals = crawl_site(site, kb_settings)
    found = outcomes(totals["run_id"], testsite.url)
    reasons = {path: (o.outcome, o.reason) for path, o in found.items() if o.outcome == "failed"}
    assert reasons["/missing"] == ("failed", "HTTP 404")
    assert "unparseable HTML" in reasons["/malformed"][1]
    assert "too large" in reasons["/huge"][1]
    assert reasons["/brochure"][1] == "not HTML (application/pdf)"
    assert {p for p, o in found.items() if o.outcome == "new"} == INDEXED


def test_a_redirect_to_a_link_local_address_is_refused(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url)
    totals = crawl_site(site, kb_settings)
    exit_ = outcomes(totals["run_id"], testsite.url)["/exit"]
    assert exit_.outcome == "failed" and "SSRF guard" in exit_.reason
    assert "169.254.169.254" in exit_.reason


def test_a_loopback_site_without_allow_private_is_refused(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url, allow_private=False)
    totals = crawl_site(site, kb_settings)
    found = outcomes(totals["run_id"], testsite.url)
    assert found["/"].outcome == "failed" and "SSRF guard" in found["/"].reason
    assert testsite.requests == []  # not even robots.txt was asked for


def test_a_crawl_that_indexed_nothing_failed_and_says_why_with_the_fix(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url, allow_private=False)
    totals = crawl_site(site, kb_settings)
    run = CrawlRun.get_by_id(totals["run_id"])
    assert run.status == "failed" and totals["status"] == "failed"
    assert run.error.startswith("1 page failed: 127.0.0.1 is a private address")
    assert "allow private addresses" in run.error


def test_a_crawl_with_some_failed_pages_succeeds_and_counts_them(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    totals = crawl_site(site, kb_settings)
    run = CrawlRun.get_by_id(totals["run_id"])
    assert run.status == "succeeded"
    assert run.error.startswith(f"{totals['failed']} pages failed: ")
    assert "HTTP 404: the page does not exist" in run.error


def test_a_recrawl_with_one_page_changed_replaces_only_that_pages_chunks(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    before = {
        path: chunk_ids(p)
        for path, p in pages_by_path(site, testsite.url).items()
        if path in INDEXED
    }
    testsite.pages["/hours"] = page(
        "Opening hours",
        "<h1 id='hours'>Opening hours</h1><p>From January we open at 6am on weekdays.</p>",
    )
    totals = crawl_site(site, kb_settings)
    found = outcomes(totals["run_id"], testsite.url)
    assert found["/hours"].outcome == "changed"
    assert {p for p, o in found.items() if o.outcome == "unchanged"} == INDEXED - {"/hours"}
    assert totals["not_modified"] == len(INDEXED) - 1  # answered 304 thanks to the ETag
    after = {
        path: chunk_ids(p)
        for path, p in pages_by_path(site, testsite.url).items()
        if path in INDEXED
    }
    for path in INDEXED - {"/hours"}:
        assert after[path] == before[path], path
    assert after["/hours"] and not after["/hours"] & before["/hours"]
    texts = [c.text for c in Chunk.select().where(Chunk.id.in_(list(after["/hours"])))]
    assert any("6am" in t for t in texts)


def test_a_removed_page_loses_its_chunks(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    team = pages_by_path(site, testsite.url)["/team"]
    assert chunk_ids(team)
    del testsite.pages["/team"]
    totals = crawl_site(site, kb_settings)
    assert outcomes(totals["run_id"], testsite.url)["/team"].outcome == "removed"
    assert chunk_ids(team) == set()
    assert totals["removed"] == 1


def test_forms_links_and_actions_are_stored_per_page(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    contact = pages_by_path(site, testsite.url)["/contact"]
    form = contact.forms[0]
    assert form["method"] == "post" and form["action"] == testsite.url + "/contact/send"
    assert [(f["name"], f["label"], f["required"]) for f in form["fields"]] == [
        ("name", "Your name", True),
        ("email", "Email", True),
        ("message", "Message", False),
    ]
    assert {"text": "About us", "href": testsite.url + "/about"} in contact.links
    assert any(a["action"] == "open-map" and a["text"] == "Show the map" for a in contact.actions)
    assert {"level": 1, "text": "Contact us", "anchor": "contact"} in contact.headings


def test_opening_hours_from_json_ld_become_a_fact_chunk(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    facts = [c.text for c in Chunk.select().where(Chunk.site == site.id, Chunk.kind == "fact")]
    assert any("Open on Sunday from 09:00 to 13:00" in t for t in facts), facts
    faqs = [c.heading for c in Chunk.select().where(Chunk.site == site.id, Chunk.kind == "faq")]
    assert "Do you bake gluten-free bread?" in faqs


def test_a_page_declaring_another_canonical_url_is_indexed_only_there(
    alice, testsite, make_site, kb_settings
):
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    assert testsite.fetched("/print/hours") == 1
    pages = pages_by_path(site, testsite.url)
    assert "/print/hours" not in pages and pages["/hours"].status == "ok"


def test_robots_crawl_delay_spaces_the_requests(alice, testsite, make_site, kb_settings):
    testsite.crawl_delay = 0.2
    site = make_site(alice.tenant, testsite.url, max_pages=3)
    crawl_site(site, kb_settings)
    pages = [
        t
        for t, path in zip(testsite.times(), testsite.requests, strict=True)
        if not path.endswith((".txt", ".xml"))
    ]
    assert len(pages) >= 3
    gaps = [b - a for a, b in zip(pages, pages[1:], strict=False)]
    assert min(gaps) >= 0.19, gaps


def test_a_crawl_reports_its_progress(alice, testsite, make_site, kb_settings):
    site = make_site(alice.tenant, testsite.url)
    reports = []
    totals = crawl_site(site, kb_settings, progress=lambda **data: reports.append(data))
    assert reports and reports[-1]["queued"] == 0
    assert reports[-1]["done"] >= totals["pages"] - totals["removed"]
    assert all(r["site_id"] == site.id and r["run_id"] == totals["run_id"] for r in reports)


def test_an_index_page_made_only_of_links_still_leads_to_its_pages(
    alice, testsite, make_site, kb_settings
):
    # No text of its own: extraction falls back to trafilatura, which must not lose the links.
    testsite.pages["/directory"] = (
        "<!doctype html><html><head><title>Directory</title></head><body><nav>"
        "<a href='/deep/one'>One</a> <a href='/deep/two'>Two</a></nav></body></html>"
    )
    for name in ("one", "two"):
        testsite.pages[f"/deep/{name}"] = page(
            f"Deep {name}", f"<h1>Deep page {name}</h1><p>Reached only from the directory.</p>"
        )
    site = sites.create_site(
        alice.tenant.id, "link-index", [testsite.url + "/directory"], True, privileged=True
    )
    totals = crawl_site(site, kb_settings)
    found = outcomes(totals["run_id"], testsite.url)
    assert found["/deep/one"].outcome == "new" and found["/deep/two"].outcome == "new"
    assert found["/directory"].outcome != "failed", found["/directory"].reason
    assert CrawlRun.get_by_id(totals["run_id"]).status == "succeeded"


def test_the_same_page_under_two_addresses_is_one_page_and_never_removed(
    alice, testsite, make_site, kb_settings
):
    # "/" and "/index.html" serve the same document, and the site links to both (#16 item 2).
    testsite.pages["/index.html"] = testsite.pages["/"]
    testsite.pages["/about"] = testsite.pages["/about"].replace(
        "</main>", '<p><a href="/index.html">Back to the start</a></p></main>'
    )
    site = make_site(alice.tenant, testsite.url)
    first = crawl_site(site, kb_settings)
    found = outcomes(first["run_id"], testsite.url)
    assert found["/"].outcome == "new"
    assert "/index.html" not in pages_by_path(site, testsite.url)
    assert first["new"] == len(INDEXED)
    again = crawl_site(site, kb_settings)
    found = outcomes(again["run_id"], testsite.url)
    assert found["/"].outcome == "unchanged" and again["removed"] == 0
    assert pages_by_path(site, testsite.url)["/"].status == "ok"


MENU = (
    "<div class='menu'><a href='/'>Home</a> | <a href='/hours'>Hours</a> | "
    "<a href='/faq'>FAQ</a> | Call us on 555 0199</div>"
)


def _with_menu(testsite, paths) -> None:
    for path in paths:
        testsite.pages[path] = testsite.pages[path].replace("<main>", "<main>" + MENU)


def _pages_saying(site, base: str, text: str) -> set[str]:
    return {
        c.url[len(base) :]
        for c in Chunk.select().where(Chunk.site == site.id, Chunk.retired == False)  # noqa: E712
        if text in c.text
    }


def test_a_menu_div_repeated_on_every_page_reaches_the_passages_of_one_page_only(
    alice, testsite, make_site, kb_settings
):
    _with_menu(testsite, INDEXED)
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    assert _pages_saying(site, testsite.url, "555 0199") == {"/"}  # kept once, on the home page
    assert _pages_saying(site, testsite.url, "Tomasz") == {"/team"}  # the pages' own text stays
    testsite.pages["/team"] = page(
        "The team", "<h1 id='team'>The team</h1><p>Amira now runs the ovens.</p>"
    )
    _with_menu(testsite, ["/team"])
    crawl_site(site, kb_settings)  # a changed page loses the repeated block again
    assert _pages_saying(site, testsite.url, "555 0199") == {"/"}
    assert _pages_saying(site, testsite.url, "Amira now runs") == {"/team"}


def test_a_block_on_fewer_than_half_the_pages_stays_on_each(
    alice, testsite, make_site, kb_settings
):
    _with_menu(testsite, ["/hours", "/faq", "/team"])
    site = make_site(alice.tenant, testsite.url)
    crawl_site(site, kb_settings)
    assert _pages_saying(site, testsite.url, "555 0199") == {"/hours", "/faq", "/team"}
