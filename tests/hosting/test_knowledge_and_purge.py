"""After a switch: the site's knowledge is built from the release's files (a crawl run with no
HTTP), and each purge hook is POSTed the changed paths, signed with the site's secret."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import quote

import pytest

from sitespeak.crawl import store
from sitespeak.crawl.scope import normalise
from sitespeak.db.connection import database
from sitespeak.errors import InvalidInput
from sitespeak.hosting import intake, knowledge, layout, publish, purge
from sitespeak.hosting.knowledge import ingest_release
from sitespeak.hosting.models import HostedSite
from sitespeak.knowledge.chunking import chunk_page
from sitespeak.knowledge.extract import extract
from sitespeak.knowledge.models import Chunk, CrawlRun, Page
from tests.hosting.conftest import DOMAIN, publish_path, write_site


def ingest(host_settings, site, hosted):
    release = layout.live_release(host_settings.state_dir, f"{hosted.label}.{DOMAIN}")
    return ingest_release(site, release, f"https://{hosted.label}.{DOMAIN}")


def pages_of(site) -> dict[str, str]:
    return {p.url: p.status for p in Page.select().where(Page.site == site.id)}


def test_the_live_releases_pages_become_the_sites_knowledge_without_http(
    host_settings, hosted_site, tmp_path
):
    site, hosted = hosted_site
    publish_path(host_settings, hosted, write_site(tmp_path / "src", extra_pages=3))

    totals = ingest(host_settings, site, hosted)

    base = f"https://{hosted.label}.{DOMAIN}"
    assert totals["status"] == "succeeded" and totals["new"] == 5
    assert pages_of(site) == {
        f"{base}/": "ok",
        f"{base}/about/": "ok",
        **{f"{base}/pages/p{n}.html": "ok" for n in range(3)},
    }
    texts = " ".join(c.text for c in Chunk.select().where(Chunk.site == site.id))
    assert "open at seven" in texts and "family bakery since 1980" in texts
    assert "Not here" not in texts  # the 404 page is no page of the site
    assert CrawlRun.get_by_id(totals["run_id"]).status == "succeeded"


def test_a_new_release_changes_only_the_pages_that_changed(host_settings, hosted_site, tmp_path):
    site, hosted = hosted_site
    first = write_site(tmp_path / "one", extra_pages=2)
    publish_path(host_settings, hosted, first)
    ingest(host_settings, site, hosted)

    second = write_site(tmp_path / "two", extra_pages=1)
    (second / "about" / "index.html").write_text(
        "<!DOCTYPE html><html><body><p>Now a cooperative of bakers.</p></body></html>"
    )
    publish_path(host_settings, hosted, second)
    totals = ingest(host_settings, site, hosted)

    assert (totals["new"], totals["changed"], totals["unchanged"], totals["removed"]) == (
        0,
        1,
        2,
        1,
    )
    base = f"https://{hosted.label}.{DOMAIN}"
    assert pages_of(site)[f"{base}/pages/p1.html"] == "removed"
    texts = " ".join(c.text for c in Chunk.select().where(Chunk.site == site.id))
    assert "cooperative of bakers" in texts and "since 1980" not in texts


def test_a_purge_hook_gets_the_changed_paths_signed_with_the_sites_secret(
    host_settings, private_site, purge_receiver, tmp_path
):
    site, hosted = private_site
    purge.set_hooks(hosted, [purge_receiver.url])
    publish_path(host_settings, hosted, write_site(tmp_path / "one"))
    changed_site = write_site(tmp_path / "two", title="Changed")
    release = publish.record_release(hosted, changed_site, intake.kind_of(changed_site), "test")
    published = publish.publish_release(
        host_settings, hosted.tenant_id, hosted.site_id, release.number
    )
    changed = published["changed"]
    assert "/" in changed and "/index.html" in changed and "/about/" not in changed

    result = purge.call_hook(
        host_settings, hosted.tenant_id, hosted.site_id, release.number, purge_receiver.url, changed
    )

    [(headers, body)] = purge_receiver.received
    secret = HostedSite.get_by_id(hosted.site_id).secret
    wanted = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-SiteSpeak-Signature"] == wanted
    assert headers["Content-Type"] == "application/json"
    sent = json.loads(body)
    assert sent == {
        "site": site.id,
        "release": release.number,
        "hosts": [f"{hosted.label}.{DOMAIN}"],
        "paths": changed,
    }
    assert result["ok"] and result["status"] == 200
    stored = HostedSite.get_by_id(hosted.site_id).hook_results[purge_receiver.url]
    assert stored["ok"] and stored["release"] == release.number


def test_a_failing_hook_raises_to_be_retried_and_shows_its_last_result(
    host_settings, private_site, purge_receiver
):
    _, hosted = private_site
    purge.set_hooks(hosted, [purge_receiver.url])
    purge_receiver.statuses = [503]

    with pytest.raises(purge.HookFailed, match="HTTP 503"):
        purge.call_hook(
            host_settings, hosted.tenant_id, hosted.site_id, 1, purge_receiver.url, ["/"]
        )

    stored = HostedSite.get_by_id(hosted.site_id).hook_results[purge_receiver.url]
    assert stored["ok"] is False and stored["status"] == 503 and stored["error"] == "HTTP 503"


def test_a_hook_on_a_private_address_needs_a_site_that_allows_them(hosted_site, purge_receiver):
    _, hosted = hosted_site
    with pytest.raises(InvalidInput, match="purge hook .*127.0.0.1"):
        purge.set_hooks(hosted, [purge_receiver.url])
    with pytest.raises(InvalidInput, match="absolute http"):
        purge.set_hooks(hosted, ["ftp://cdn.example/purge"])


def test_new_pages_are_written_many_a_transaction_with_the_rows_a_page_at_a_time_gives(
    host_settings, hosted_site, alice, make_site, tmp_path, monkeypatch
):
    site, hosted = hosted_site
    publish_path(host_settings, hosted, write_site(tmp_path / "src", extra_pages=60))
    release = layout.live_release(host_settings.state_dir, f"{hosted.label}.{DOMAIN}")
    base = f"https://{hosted.label}.{DOMAIN}"
    # The reference: the same files recorded a page at a time, as a crawl records them.
    other = make_site(alice.tenant)
    run, _ = store.start_run(other, None)
    manifest = layout.Manifest.from_json((release / layout.MANIFEST).read_text("utf-8"))
    for url_path, name in sorted(knowledge.pages_of(manifest).items()):
        url = normalise(base + quote(url_path))
        content = extract(layout.file_path(release, name).read_bytes(), url, "utf-8")
        digest = store.content_hash(content)
        fetched = knowledge.FromFile(url)
        drafts = chunk_page(content)
        store.record_content(run, other, url, 0, fetched, content, drafts, None, digest, None)
    page_inserts = []
    execute_sql = database.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        if sql.startswith('INSERT INTO "pages"'):
            page_inserts.append(sql)
        return execute_sql(sql, params, *args, **kwargs)

    monkeypatch.setattr(database.obj, "execute_sql", counting)

    totals = ingest(host_settings, site, hosted)

    assert totals["new"] == 62 and totals["status"] == "succeeded"
    assert len(page_inserts) == 2  # 62 pages: a batch of 50, then the last 12
    assert rows_of(site) == rows_of(other)


def rows_of(site) -> tuple[list, list]:
    pages = [
        (p.url, p.status, p.title, p.content_hash, p.blocks, p.headings, p.links, p.http_status)
        for p in Page.select().where(Page.site == site.id).order_by(Page.id)
    ]
    chunks = [
        (c.page.url, c.ord, c.kind, c.anchor, c.title, c.heading, c.text, c.text_hash, c.retired)
        for c in Chunk.select(Chunk, Page.url)
        .join(Page)
        .where(Chunk.site == site.id)
        .order_by(Chunk.id)
    ]
    return pages, chunks
