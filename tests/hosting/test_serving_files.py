"""A hosted site's files as a browser and a cache see them: the manifest decides what exists,
HTML revalidates, fingerprinted assets are cached for a year, conditional requests get 304,
precompressed copies go to clients that accept them, and no path reaches outside the release."""

from __future__ import annotations

import gzip
import http.client
import itertools
from datetime import UTC, datetime

import brotli
import httpx
import pytest

from tests.hosting.conftest import DOMAIN
from tests.support.hosted_sites import link_host, make_live, write_release

HOME = "<!doctype html><title>Alpha</title><h1>Alpha home</h1>" + "<p>text</p>" * 200
ABOUT = "<!doctype html><title>About</title><h1>About alpha</h1>"
CSS = "body { color: #123456 }\n" * 50
MISSING = "<!doctype html><title>Lost</title><h1>Alpha has no such page</h1>"
PUBLISHED = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def alpha(hosted_web) -> str:
    """A live site on alpha.sites.test: home, about, a fingerprinted stylesheet, a 404 page, an
    image with no compressed copy and a folder with no index."""
    site = next(_ids)
    write_release(
        hosted_web.state_dir,
        site,
        1,
        {
            "/index.html": HOME,
            "/about/index.html": ABOUT,
            "/assets/site.3f2a1c9e.css": CSS,
            "/404.html": MISSING,
            "/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
            "/docs/guide.html": "<!doctype html><h1>Guide</h1>",
        },
        immutable=["/assets/site.3f2a1c9e.css"],
        not_found="/404.html",
        created_at=PUBLISHED,
    )
    make_live(hosted_web.state_dir, site, 1)
    host = f"alpha.{DOMAIN}"
    link_host(hosted_web.state_dir, host, site)
    return host


def get(hosted_web, host: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(hosted_web.url + path, headers={"Host": host, **headers}, timeout=10)


def raw(hosted_web, host: str, target: str, method: str = "GET") -> tuple[int, bytes]:
    """A request line sent exactly as written (httpx would tidy ``/../`` away)."""
    conn = http.client.HTTPConnection("127.0.0.1", hosted_web.proc.port, timeout=10)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_the_home_page_is_served_for_the_root_of_the_sites_host(hosted_web, alpha):
    response = get(hosted_web, alpha, "/", **{"Accept-Encoding": "identity"})
    assert response.status_code == 200
    assert response.text == HOME
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-length"] == str(len(HOME))


def test_a_folder_is_answered_by_its_index_and_its_bare_name_redirects_to_it(hosted_web, alpha):
    assert get(hosted_web, alpha, "/about/").text == ABOUT
    moved = get(hosted_web, alpha, "/about?ref=nav")
    assert moved.status_code == 301
    assert moved.headers["location"] == "/about/?ref=nav"


def test_html_revalidates_and_fingerprinted_assets_are_cached_for_a_year(hosted_web, alpha):
    page = get(hosted_web, alpha, "/index.html")
    assert page.headers["cache-control"] == "public, max-age=60, must-revalidate"
    asset = get(hosted_web, alpha, "/assets/site.3f2a1c9e.css")
    assert asset.text == CSS
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-type"] == "text/css; charset=utf-8"


def test_a_known_etag_or_an_unchanged_date_gets_a_304_without_a_body(hosted_web, alpha):
    first = get(hosted_web, alpha, "/about/")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == "Mon, 30 Nov 2026 12:00:00 GMT"
    again = get(hosted_web, alpha, "/about/", **{"If-None-Match": f'"other", {etag}'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    by_date = get(hosted_web, alpha, "/about/", **{"If-Modified-Since": modified})
    assert by_date.status_code == 304
    older = get(
        hosted_web, alpha, "/about/", **{"If-Modified-Since": "Sun, 29 Nov 2026 00:00:00 GMT"}
    )
    assert older.status_code == 200
    assert older.text == ABOUT
    changed = get(hosted_web, alpha, "/about/", **{"If-None-Match": '"stale"'})
    assert changed.status_code == 200


def test_a_client_accepting_gzip_gets_the_precompressed_copy(hosted_web, alpha):
    with httpx.stream(
        "GET",
        hosted_web.url + "/",
        headers={"Host": alpha, "Accept-Encoding": "gzip"},
        timeout=10,
    ) as response:
        body = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body).decode() == HOME
    assert len(body) < len(HOME)
    plain = get(hosted_web, alpha, "/", **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["etag"] != response.headers["etag"]
    refused = get(hosted_web, alpha, "/", **{"Accept-Encoding": "gzip;q=0, br;q=0"})
    assert "content-encoding" not in refused.headers


@pytest.mark.parametrize(
    ("accept", "sent"),
    [
        ("gzip;q=0.5, identity", "gzip"),
        ("*", "gzip"),
        ("*;q=0, identity", None),
        ("GZIP", "gzip"),
        ("deflate", None),
        ("gzip;q=bogus", None),
    ],
)
def test_the_accept_encoding_weights_decide_the_copy(hosted_web, alpha, accept, sent):
    response = get(hosted_web, alpha, "/about/", **{"Accept-Encoding": accept})
    assert response.headers.get("content-encoding") == sent
    assert response.text == ABOUT


def test_brotli_is_preferred_when_the_release_has_a_br_copy_and_the_client_takes_it(
    hosted_web, alpha
):
    site = next(_ids)
    release = write_release(hosted_web.state_dir, site, 1, {"/index.html": HOME})
    (release / "files" / "index.html.br").write_bytes(brotli.compress(HOME.encode()))
    manifest = (release / "manifest.json").read_text().replace('"br": false', '"br": true')
    (release / "manifest.json").write_text(manifest)
    make_live(hosted_web.state_dir, site, 1)
    link_host(hosted_web.state_dir, f"brotli.{DOMAIN}", site)
    host = f"brotli.{DOMAIN}"
    with httpx.stream(
        "GET", hosted_web.url + "/", headers={"Host": host, "Accept-Encoding": "gzip, br"}
    ) as response:
        assert brotli.decompress(b"".join(response.iter_raw())).decode() == HOME
        assert response.headers["content-encoding"] == "br"
    with httpx.stream(
        "GET", hosted_web.url + "/", headers={"Host": host, "Accept-Encoding": "gzip"}
    ) as response:
        assert gzip.decompress(b"".join(response.iter_raw())).decode() == HOME


@pytest.mark.parametrize("accept", ["identity", "gzip"])
def test_head_answers_the_headers_of_get_without_a_body(hosted_web, alpha, accept):
    asked = {"Host": alpha, "Accept-Encoding": accept}
    response = httpx.head(hosted_web.url + "/about/", headers=asked)
    assert response.status_code == 200
    assert response.content == b""
    with httpx.stream("GET", hosted_web.url + "/about/", headers=asked) as full:
        body = b"".join(full.iter_raw())
    assert response.headers["content-length"] == str(len(body))
    assert response.headers["etag"] == full.headers["etag"]
    assert response.headers.get("content-encoding") == full.headers.get("content-encoding")


def test_other_methods_are_refused_with_405(hosted_web, alpha):
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        response = httpx.request(method, hosted_web.url + "/", headers={"Host": alpha})
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET, HEAD"


def test_an_unknown_path_gets_the_sites_own_404_page(hosted_web, alpha):
    response = get(hosted_web, alpha, "/no/such/page.html")
    assert response.status_code == 404
    assert response.text == MISSING


def test_a_site_without_a_404_page_gets_a_plain_one(hosted_web):
    site = next(_ids)
    write_release(hosted_web.state_dir, site, 1, {"/index.html": HOME})
    make_live(hosted_web.state_dir, site, 1)
    link_host(hosted_web.state_dir, f"plain.{DOMAIN}", site)
    response = get(hosted_web, f"plain.{DOMAIN}", "/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Not found\n"


def test_a_folder_without_an_index_is_a_404_not_a_listing(hosted_web, alpha):
    for path in ("/docs/", "/docs", "/assets/"):
        response = get(hosted_web, alpha, path)
        assert response.status_code == 404, path
        assert response.text == MISSING


@pytest.mark.parametrize(
    "target",
    [
        "/../manifest.json",
        "/assets/../../manifest.json",
        "/%2e%2e/manifest.json",
        "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
        "/..%2fmanifest.json",
        "/..\\manifest.json",
        "/%5c..%5cmanifest.json",
        "/about/..%5c..%5cmanifest.json",
        "//etc/passwd",
        "/index.html%00.png",
        "/./index.html/",
    ],
)
def test_a_path_trying_to_leave_the_release_gets_nothing_but_the_404(hosted_web, alpha, target):
    status, body = raw(hosted_web, alpha, target)
    assert status in (400, 404), (target, status)
    assert b'"sha256"' not in body
    assert b"root:" not in body
    if status == 404:
        assert body == MISSING.encode()


def test_a_live_release_that_cannot_be_read_is_a_503_with_retry_after(hosted_web):
    site = next(_ids)
    release = write_release(hosted_web.state_dir, site, 1, {"/index.html": HOME})
    (release / "manifest.json").write_text('{"release": 1, "files": ')  # cut short
    make_live(hosted_web.state_dir, site, 1)
    link_host(hosted_web.state_dir, f"broken.{DOMAIN}", site)
    response = get(hosted_web, f"broken.{DOMAIN}", "/")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["cache-control"] == "no-store"


def hosted_count(hosted_web, status: str) -> float:
    metrics = httpx.get(hosted_web.url + "/metrics", timeout=10).text
    line = f'sitespeak_http_requests_total{{method="GET",route="(hosted site)",status="{status}"}}'
    found = [row.split()[-1] for row in metrics.splitlines() if row.startswith(line)]
    return float(found[0]) if found else 0.0


def test_hosted_requests_are_counted_under_one_route_by_status(hosted_web, alpha):
    before = {status: hosted_count(hosted_web, status) for status in ("200", "404")}
    for path in ("/", "/about/", "/missing-1", "/missing-2", "/missing-3"):
        get(hosted_web, alpha, path)
    assert hosted_count(hosted_web, "200") == before["200"] + 2
    assert hosted_count(hosted_web, "404") == before["404"] + 3
