"""Which requests are a hosted site's: decided by the Host header alone. A hosted host answers
only with its site's files (no admin, API, widget or voice route behind it), and the admin's
own origin never serves a hosted page, even if a host link carries its name."""

from __future__ import annotations

import socket

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from sitespeak.errors import InvalidInput, SettingsError
from sitespeak.hosting import registry
from sitespeak.settings import load_settings
from tests.hosting.conftest import ADMIN_HOST, DOMAIN
from tests.support.hosted_sites import link_host, make_live, write_release

PAGE = "<!doctype html><title>Beta</title><h1>Beta, hosted</h1>"
LOST = "<!doctype html><h1>Beta has no such page</h1>"
SITE = 101


@pytest.fixture(scope="module")
def beta(hosted_web) -> str:
    write_release(
        hosted_web.state_dir,
        SITE,
        1,
        {"/index.html": PAGE, "/404.html": LOST},
        not_found="/404.html",
    )
    make_live(hosted_web.state_dir, SITE, 1)
    host = f"beta.{DOMAIN}"
    for name in (host, "www.beta-bakery.test", ADMIN_HOST, "localhost"):
        link_host(hosted_web.state_dir, name, SITE)
    return host


def get(hosted_web, host: str, path: str = "/") -> httpx.Response:
    return httpx.get(hosted_web.url + path, headers={"Host": host}, timeout=10)


def test_a_sites_host_name_in_any_case_and_with_a_port_serves_the_site(hosted_web, beta):
    for host in (beta, beta.upper() + ":8443", beta + "."):
        response = get(hosted_web, host)
        assert response.status_code == 200, host
        assert response.text == PAGE


def test_a_custom_host_name_linked_to_the_site_serves_it(hosted_web, beta):
    assert get(hosted_web, "www.beta-bakery.test").text == PAGE


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/login",
        "/api/v1/sites",
        "/health/live",
        "/health/ready",
        "/widget.js",
        "/socket.io/?EIO=4&transport=polling",
        "/metrics",
    ],
)
def test_no_route_of_the_app_answers_on_a_hosted_host(hosted_web, beta, path):
    response = get(hosted_web, beta, path)
    assert response.status_code == 404
    assert response.text == LOST
    assert "set-cookie" not in response.headers


def test_the_voice_websocket_is_refused_on_a_hosted_host(hosted_web, beta):
    port = hosted_web.proc.port
    with pytest.raises(InvalidStatus):
        with connect(
            f"ws://{beta}:{port}/voice-ws",
            sock=socket.create_connection(("127.0.0.1", port)),
            open_timeout=10,
        ):
            pass
    # The same handshake on the admin's host is the app's (the voice route answers).
    with connect(
        f"ws://{ADMIN_HOST}:{port}/voice-ws",
        sock=socket.create_connection(("127.0.0.1", port)),
        open_timeout=10,
    ) as accepted:
        assert accepted.request is not None


@pytest.mark.parametrize(
    "host", [ADMIN_HOST, f"{ADMIN_HOST}:80", "localhost", "127.0.0.1", "[::1]:5000"]
)
def test_the_admin_origin_never_serves_a_hosted_page_even_with_a_link_of_its_name(
    hosted_web, beta, host
):
    live = get(hosted_web, host, "/health/live")
    assert live.status_code == 200
    assert live.json()["status"] == "ok"
    home = get(hosted_web, host, "/")
    assert "Beta, hosted" not in home.text
    login = get(hosted_web, host, "/admin/login")
    assert login.status_code == 200
    assert "Beta" not in login.text


def test_a_name_under_the_hosted_domain_with_no_site_is_a_plain_404_not_the_app(hosted_web):
    for path in ("/", "/admin/login", "/health/live"):
        response = get(hosted_web, f"nobody.{DOMAIN}", path)
        assert response.status_code == 404, path
        assert response.text == "Not found\n"


def test_an_unknown_host_outside_the_hosted_domain_reaches_the_app(hosted_web):
    response = get(hosted_web, "box.internal.example", "/health/live")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.parametrize(
    ("public_url", "domain"),
    [
        ("https://voice.example.com", "voice.example.com"),
        ("https://voice.example.com", "example.com"),
        ("https://a.sites.example.com", "sites.example.com"),
        ("", "localhost"),
        ("", "203.0.113.7"),
        ("", "https://sites.example.com"),
    ],
)
def test_a_hosted_domain_sharing_the_admins_origin_is_refused_at_start(public_url, domain):
    with pytest.raises(SettingsError, match="SITESPEAK_HOSTED_SITES_DOMAIN"):
        load_settings(public_url=public_url, hosted_sites_domain=domain)


def test_a_hosted_domain_beside_the_admins_host_is_accepted_in_lower_case():
    found = load_settings(
        public_url="https://voice.example.com", hosted_sites_domain="Sites.Example.com."
    )
    assert found.hosted_sites_domain == "sites.example.com"


@pytest.mark.parametrize("name", ["box.example", "Box.Example.", "192.0.2.10"])
def test_a_custom_host_name_the_admin_origin_or_an_address_is_refused(
    host_settings, hosted_site, name
):
    _, hosted = hosted_site
    with pytest.raises(InvalidInput, match="admin UI's host name"):
        registry.set_hostnames(hosted, [name], host_settings)
    assert registry.hostnames(hosted, host_settings) == [f"{hosted.label}.{DOMAIN}"]
