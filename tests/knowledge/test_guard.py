"""The SSRF guard on its own: which destinations a crawl may reach."""

from __future__ import annotations

import pytest

from sitespeak.crawl.guard import Refused, check


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://172.16.5.4/",
        "http://100.64.0.1/",
    ],
)
def test_private_and_loopback_addresses_are_refused_by_default(url):
    with pytest.raises(Refused, match="SSRF guard"):
        check(url, allow_private=False)


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://10.1.2.3/", "http://[::1]/"])
def test_allow_private_opens_private_and_loopback_addresses(url):
    check(url, allow_private=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
    ],
)
def test_link_local_and_reserved_addresses_are_refused_even_with_allow_private(url):
    with pytest.raises(Refused, match="link-local or reserved"):
        check(url, allow_private=True)


def test_only_http_urls_are_fetched():
    with pytest.raises(Refused, match="not an http"):
        check("file:///etc/passwd", allow_private=True)
