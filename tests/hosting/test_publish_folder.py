"""Publishing a folder: the release is built beside the live one and made live by one switch."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import subprocess
import time

import brotli
import lxml.html
import pytest

from sitespeak.db.models import utcnow
from sitespeak.errors import Conflict, InvalidInput, NotFound
from sitespeak.hosting import layout, publish, registry
from sitespeak.hosting.models import HostedRelease
from tests.hosting.conftest import (
    DOMAIN,
    embed_tags,
    live_files,
    publish_path,
    site_key,
    tree_of,
    write_site,
)
from tests.support.processes import run_command


def test_a_published_folder_goes_live_with_one_embed_tag_per_page_and_generated_files(
    host_settings, hosted_site, tmp_path
):
    site, hosted = hosted_site
    release = publish_path(host_settings, hosted, write_site(tmp_path / "src"))

    assert release.state == "live" and release.number == 1
    files = live_files(host_settings, hosted)
    key = site_key(site)
    for page in ("index.html", "about/index.html", "404.html"):
        tags = embed_tags(files / page)
        assert len(tags) == 1, page
        assert tags[0].get("data-site-key") == key
        assert tags[0].get("src") == "https://box.example/widget.js"

    base = f"https://{hosted.label}.{DOMAIN}"
    sitemap = (files / "sitemap.xml").read_text()
    assert f"<loc>{base}/</loc>" in sitemap and f"<loc>{base}/about/</loc>" in sitemap
    assert "404" not in sitemap
    assert f"Sitemap: {base}/sitemap.xml" in (files / "robots.txt").read_text()


def test_assets_the_pages_name_are_fingerprinted_and_every_reference_rewritten(
    host_settings, hosted_site, tmp_path
):
    _, hosted = hosted_site
    publish_path(host_settings, hosted, write_site(tmp_path / "src"))
    files = live_files(host_settings, hosted)
    manifest = layout.Manifest.from_json((files.parent / layout.MANIFEST).read_text())

    home = lxml.html.document_fromstring((files / "index.html").read_bytes())
    css_ref = home.find(".//link").get("href")
    assert css_ref.startswith("css/app.") and css_ref != "css/app.css"
    css = (files / css_ref).read_text()
    font = next(p for p in manifest.files if p.startswith("/fonts/body."))
    assert f"url('../fonts/{font.rsplit('/', 1)[1]}')" in css
    assert "url(/img/logo." in css and "url(/img/logo.png)" not in css
    assert home.find(".//img").get("src").startswith("/img/logo.")
    about = lxml.html.document_fromstring((files / "about/index.html").read_bytes())
    assert about.find(".//link").get("href") == "../" + css_ref

    assert manifest.files["/" + css_ref].immutable
    assert not manifest.files["/css/app.css"].immutable
    assert not any(
        p.startswith("/unreferenced.") and p != "/unreferenced.js" for p in manifest.files
    )


def test_the_manifest_records_each_files_hash_and_its_compressed_siblings(
    host_settings, hosted_site, tmp_path
):
    _, hosted = hosted_site
    release = publish_path(host_settings, hosted, write_site(tmp_path / "src"))
    files = live_files(host_settings, hosted)
    manifest = layout.Manifest.from_json((files.parent / layout.MANIFEST).read_text())

    assert manifest.release == release.number
    assert manifest.not_found == "/404.html"
    assert manifest.file_of("/about/") == "about/index.html"
    for url_path, entry in manifest.files.items():
        data = (files / manifest.file_of(url_path)).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry.sha256, url_path
        assert len(data) == entry.size
        packed = files / (manifest.file_of(url_path) + ".gz")
        assert entry.gzip == packed.exists(), url_path
        if entry.gzip:
            assert gzip.decompress(packed.read_bytes()) == data
        squeezed = files / (manifest.file_of(url_path) + ".br")
        assert entry.br == squeezed.exists(), url_path
        if entry.br:
            assert brotli.decompress(squeezed.read_bytes()) == data
    assert manifest.files["/css/app.css"].gzip  # text above the size floor
    assert manifest.files["/css/app.css"].br
    assert manifest.files["/css/app.css"].content_type == "text/css; charset=utf-8"
    assert release.file_count == len([p for p in manifest.files if not p.endswith("/")])


def test_republishing_an_already_injected_site_keeps_one_embed_tag(
    host_settings, hosted_site, tmp_path
):
    _, hosted = hosted_site
    publish_path(host_settings, hosted, write_site(tmp_path / "src"))
    again = publish_path(host_settings, hosted, live_files(host_settings, hosted))

    assert again.number == 2 and again.state == "live"
    files = live_files(host_settings, hosted)
    assert files.parent.name == "2"
    for page in ("index.html", "about/index.html"):
        assert len(embed_tags(files / page)) == 1, page


def test_a_rollback_switches_to_a_kept_release_and_older_ones_are_pruned(
    host_settings, hosted_site, tmp_path
):
    _, hosted = hosted_site
    hosted.keep_releases = 2
    hosted.save()
    for title in ("One", "Two", "Three"):
        publish_path(host_settings, hosted, write_site(tmp_path / title, title=title))
    states = {
        r.number: (r.state, r.pruned_at is not None)
        for r in HostedRelease.select().where(HostedRelease.site == hosted.site_id)
    }
    assert states == {1: ("archived", True), 2: ("archived", False), 3: ("live", False)}
    assert not layout.release_dir(host_settings.state_dir, hosted.site_id, 1).exists()

    result = publish.rollback(host_settings, hosted.tenant_id, hosted.site_id, 2)

    assert "<h1>Two</h1>" in (live_files(host_settings, hosted) / "index.html").read_text()
    assert result["release"] == 2 and result["state"] == "live"
    with pytest.raises(Conflict, match="release 1 is pruned"):
        publish.rollback(host_settings, hosted.tenant_id, hosted.site_id, 1)


def test_a_refused_folder_leaves_the_live_release_untouched_and_writes_nothing_else(
    host_settings, hosted_site, tmp_path
):
    _, hosted = hosted_site
    publish_path(host_settings, hosted, write_site(tmp_path / "good"))
    before = tree_of(host_settings.state_dir)
    bad = write_site(tmp_path / "bad", title="Bad")
    os.symlink("/etc/passwd", bad / "passwords.txt")

    with pytest.raises(InvalidInput, match="passwords.txt: a link pointing out of the folder"):
        publish_path(host_settings, hosted, bad)

    assert tree_of(host_settings.state_dir) == before
    assert "<h1>Home</h1>" in (live_files(host_settings, hosted) / "index.html").read_text()
    failed = HostedRelease.get(HostedRelease.site == hosted.site_id, HostedRelease.number == 2)
    assert failed.state == "failed" and "passwords.txt" in failed.error


def test_a_link_inside_the_folder_is_published_as_the_file_it_names(
    host_settings, hosted_site, tmp_path
):
    _, hosted = hosted_site
    source = write_site(tmp_path / "src")
    os.symlink("index.html", source / "home.html")
    publish_path(host_settings, hosted, source)
    published = live_files(host_settings, hosted) / "home.html"
    assert not published.is_symlink() and len(embed_tags(published)) == 1


def test_another_tenant_cannot_publish_or_roll_back_a_site(
    host_settings, hosted_site, charlie, tmp_path
):
    site, hosted = hosted_site
    release = publish_path(host_settings, hosted, write_site(tmp_path / "src"))
    with pytest.raises(NotFound):
        registry.get(charlie.tenant.id, site.id)
    with pytest.raises(NotFound):
        publish.rollback(host_settings, charlie.tenant.id, site.id, release.number)
    with pytest.raises(NotFound):
        publish.list_releases(charlie.tenant.id, site.id)


@pytest.mark.slow
def test_the_publish_command_publishes_a_folder_and_lists_it(
    host_settings, hosted_site, base_env, alice, tmp_path
):
    site, hosted = hosted_site
    env = {
        **os.environ,
        **base_env,
        "SITESPEAK_STATE_DIR": str(host_settings.state_dir),
        "SITESPEAK_HOSTED_SITES_DOMAIN": DOMAIN,
    }

    def run(*args: str) -> subprocess.CompletedProcess:
        return run_command(env, *args, timeout=120)

    done = run("publish", site.name, str(write_site(tmp_path / "src")), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["release"] == 1 and f"{hosted.label}.{DOMAIN}" in result["hostnames"]
    assert len(embed_tags(live_files(host_settings, hosted) / "index.html")) == 1

    missing = run("publish", site.name, str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no such file or folder" in missing.stderr
    listed = run("hosting-release", "list", site.name, "--tenant", alice.tenant.name, "--json")
    assert listed.returncode == 0, listed.stderr
    assert [r["state"] for r in json.loads(listed.stdout)] == ["live"]
    # Its first name still works, for the scripts written with it.
    old = run("releases", site.name, "--tenant", alice.tenant.name, "--json")
    assert json.loads(old.stdout) == json.loads(listed.stdout)


def test_the_sweep_fails_releases_never_built_and_deletes_their_uploads(
    host_settings, hosted_site, tmp_path
):
    _, hosted = hosted_site
    folder = publish.uploads_dir(host_settings)
    folder.mkdir(parents=True)
    stale, fresh, orphan = (folder / f"{name}.upload" for name in ("stale", "fresh", "orphan"))
    for path in (stale, fresh, orphan):
        path.write_bytes(b"PK")
    old = time.time() - 2 * 86400
    for path in (stale, orphan):
        os.utime(path, (old, old))
    abandoned = publish.record_release(hosted, stale, "zip", "test")
    HostedRelease.update(created_at=utcnow() - dt.timedelta(days=2)).where(
        HostedRelease.id == abandoned.id
    ).execute()
    waiting = publish.record_release(hosted, fresh, "zip", "test")

    swept = publish.sweep_uploads(host_settings)

    assert swept["uploads_removed"] == 2 and swept["releases_failed"] >= 1
    assert not stale.exists() and not orphan.exists() and fresh.exists()
    assert HostedRelease.get_by_id(abandoned.id).state == "failed"
    assert HostedRelease.get_by_id(waiting.id).state == "building"


def test_a_retry_after_the_link_switched_keeps_the_live_files(host_settings, hosted_site, tmp_path):
    _, hosted = hosted_site
    publish_path(host_settings, hosted, write_site(tmp_path / "one", title="One"))
    second = publish_path(host_settings, hosted, write_site(tmp_path / "two", title="Two"))
    # As if the attempt died after switching `current` but before its rows committed.
    HostedRelease.update(state="building").where(HostedRelease.id == second.id).execute()
    HostedRelease.update(state="live").where(
        HostedRelease.site == hosted.site_id, HostedRelease.number == 1
    ).execute()

    again = publish.publish_release(host_settings, hosted.tenant_id, hosted.site_id, 2)

    assert again == {"release": 2, "state": "live", "follow_up": []}
    assert "<h1>Two</h1>" in (live_files(host_settings, hosted) / "index.html").read_text()
    states = dict(
        HostedRelease.select(HostedRelease.number, HostedRelease.state)
        .where(HostedRelease.site == hosted.site_id)
        .tuples()
    )
    assert states == {1: "archived", 2: "live"}
