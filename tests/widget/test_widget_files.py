"""/widget.js and its worklet over real HTTP: size budget, versioning, caching, CORS."""

from __future__ import annotations

import gzip
import re

import httpx

from sitespeak.web.widget_routes import bundle

BUDGET = 30 * 1024


def test_the_widget_stays_under_30_kb_gzipped():
    files = bundle().files
    total = sum(len(gzip.compress(files[n], 9)) for n in ("widget.js", "capture-worklet.js"))
    print(f"widget.js + worklet gzipped: {total} bytes")
    assert total <= BUDGET


def test_widget_js_revalidates_with_its_etag_and_names_its_version(widget_web):
    first = httpx.get(widget_web.url + "/widget.js")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("application/javascript")
    assert "max-age=300" in first.headers["cache-control"]
    assert first.headers["access-control-allow-origin"] == "*"
    version = re.search(r'var VERSION = "([0-9a-f]{12})"', first.text).group(1)
    again = httpx.get(
        widget_web.url + "/widget.js", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    pinned = httpx.get(f"{widget_web.url}/widget/{version}/widget.js")
    assert pinned.status_code == 200 and "immutable" in pinned.headers["cache-control"]
    assert pinned.text == first.text


def test_the_widget_goes_out_gzipped_to_browsers_that_accept_it(widget_web):
    zipped = httpx.get(widget_web.url + "/widget.js", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert int(zipped.headers["content-length"]) <= BUDGET
    plain = httpx.get(widget_web.url + "/widget.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert zipped.text == plain.text and zipped.headers["etag"] != plain.headers["etag"]


def test_the_capture_worklet_is_served_beside_it_for_cors_fetches(widget_web):
    version = bundle().version
    worklet = httpx.get(
        f"{widget_web.url}/widget/{version}/capture-worklet.js",
        headers={"Origin": "https://shop.example"},
    )
    assert worklet.status_code == 200
    assert worklet.headers["access-control-allow-origin"] == "*"
    assert 'registerProcessor("sitespeak-capture"' in worklet.text


def test_an_old_or_unknown_version_is_a_clear_404(widget_web):
    gone = httpx.get(f"{widget_web.url}/widget/000000000000/widget.js")
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert "current:" in gone.json()["detail"]
    assert httpx.get(f"{widget_web.url}/widget/{bundle().version}/x.js").status_code == 404
