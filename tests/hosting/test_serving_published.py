"""A site published by the real builder, served by a real web process on its host name: the
contract of sitespeak/hosting/layout.py as both sides keep it (folder URLs, fingerprinted names,
gzip siblings, the 404 page)."""

from __future__ import annotations

import gzip

import httpx
import lxml.html
import pytest

from sitespeak.hosting import layout
from tests.hosting.conftest import ADMIN_HOST, DOMAIN, publish_path, site_key, write_site
from tests.voice.client import open_session


@pytest.fixture()
def published(hosted_web, settings, hosted_site, tmp_path) -> tuple[str, str, layout.Manifest]:
    """alice's site published into the web process's state dir: (host, site key, manifest)."""
    site, hosted = hosted_site
    served = settings.model_copy(
        update={
            "state_dir": hosted_web.state_dir,
            "hosted_sites_domain": DOMAIN,
            "public_url": f"http://{ADMIN_HOST}",
        }
    )
    publish_path(served, hosted, write_site(tmp_path / "src", title="Served bakery"))
    host = f"{hosted.label}.{DOMAIN}"
    release = layout.live_release(hosted_web.state_dir, host)
    assert release is not None
    manifest = layout.Manifest.from_json((release / layout.MANIFEST).read_text())
    return host, site_key(site), manifest


def get(hosted_web, host: str, path: str, **headers: str) -> httpx.Response:
    return httpx.get(hosted_web.url + path, headers={"Host": host, **headers}, timeout=10)


def test_a_published_sites_pages_are_served_on_its_host_with_the_embed_tag_once(
    hosted_web, published
):
    host, key, _ = published
    for path in ("/", "/about/", "/index.html"):
        response = get(hosted_web, host, path)
        assert response.status_code == 200, path
        page = lxml.html.document_fromstring(response.content)
        tags = [s for s in page.iter("script") if s.get("data-site-key")]
        assert [t.get("data-site-key") for t in tags] == [key], path
        assert tags[0].get("src") == f"http://{ADMIN_HOST}/widget.js"
    assert "Served bakery" in get(hosted_web, host, "/").text


def test_the_fingerprinted_stylesheet_is_immutable_and_its_plain_name_revalidates(
    hosted_web, published
):
    host, _, manifest = published
    home = lxml.html.document_fromstring(get(hosted_web, host, "/").content)
    hashed = "/" + home.find(".//link").get("href")
    assert manifest.files[hashed].immutable
    fixed = get(hosted_web, host, hashed)
    assert fixed.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = get(hosted_web, host, "/css/app.css")
    assert plain.headers["cache-control"] == "public, max-age=60, must-revalidate"
    assert plain.text == fixed.text


def test_the_builders_gzip_copy_is_sent_to_a_client_that_accepts_it(hosted_web, published):
    host, _, _ = published
    with httpx.stream(
        "GET", hosted_web.url + "/css/app.css", headers={"Host": host, "Accept-Encoding": "gzip"}
    ) as response:
        packed = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed) == get(hosted_web, host, "/css/app.css").content


def test_the_builders_brotli_copy_is_preferred_by_a_client_that_takes_both(hosted_web, published):
    import brotli

    host, _, manifest = published
    assert manifest.files["/css/app.css"].br
    with httpx.stream(
        "GET",
        hosted_web.url + "/css/app.css",
        headers={"Host": host, "Accept-Encoding": "gzip, br"},
    ) as response:
        packed = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "br"
    plain = get(hosted_web, host, "/css/app.css", **{"Accept-Encoding": "identity"})
    assert brotli.decompress(packed) == plain.content
    assert response.headers["etag"] != plain.headers["etag"]


def test_the_sitemap_robots_and_404_page_of_the_build_are_served(hosted_web, published):
    host, _, _ = published
    assert f"://{host}/about/</loc>" in get(hosted_web, host, "/sitemap.xml").text
    assert get(hosted_web, host, "/robots.txt").status_code == 200
    missing = get(hosted_web, host, "/gone.html")
    assert missing.status_code == 404
    assert "Not here." in missing.text


async def close_code(url: str, origin: str, key: str) -> int:
    """The close code of a session started from ``origin`` that is refused."""
    from websockets.exceptions import ConnectionClosed

    with pytest.raises(ConnectionClosed) as closed:
        await open_session(url, origin, key)
    return closed.value.rcvd.code


async def test_the_widget_on_a_hosted_page_is_admitted_for_its_own_site_only(
    hosted_web, published, make_site, charlie
):
    host, key, _ = published
    page_origin = f"http://{host}:{hosted_web.proc.port}"
    ws, ready = await open_session(hosted_web.url, page_origin, key)
    await ws.close()
    assert ready["type"] == "session.ready", ready

    other = site_key(make_site(charlie.tenant))
    assert await close_code(hosted_web.url, page_origin, other) == 4003
    assert await close_code(hosted_web.url, f"http://nobody.{DOMAIN}", key) == 4003
