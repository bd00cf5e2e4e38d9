"""DNS rebinding and the crawler's connections: a name that answers a public address to the SSRF
guard and a loopback or metadata address a moment later must never be fetched, and a connection
pinned to the checked address still speaks to the site by its name (Host header, TLS SNI)."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading

import pytest

from sitespeak.crawl.fetch import Fetcher
from tests.support.fake_dns import fake_dns

PUBLIC = "93.184.215.14"  # a global address: the guard lets it through


def _fetcher(allow_private: bool) -> Fetcher:
    return Fetcher(
        user_agent="SiteSpeakTest",
        timeout=2.0,
        max_bytes=1024 * 1024,
        max_redirects=5,
        allow_private=allow_private,
    )


def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_fetched(monkeypatch, testsite):
    port = testsite.url.rsplit(":", 1)[1]
    before = testsite.fetched("/hours")
    with fake_dns(monkeypatch, {"rebind.example": [PUBLIC, "127.0.0.1"]}):
        fetcher = _fetcher(allow_private=False)
        try:
            got = fetcher.get(f"http://rebind.example:{port}/hours")
        finally:
            fetcher.close()
    assert got.status is None and got.body == b""
    assert got.error and got.error.startswith("SSRF guard: rebind.example is 127.0.0.1")
    assert testsite.fetched("/hours") == before


def test_a_redirect_to_a_name_that_rebinds_to_the_metadata_address_is_refused(
    monkeypatch, testsite
):
    testsite.redirects["/to-cloud"] = "http://cloud.example/latest/meta-data/"
    with fake_dns(monkeypatch, {"cloud.example": [PUBLIC, "169.254.169.254"]}):
        fetcher = _fetcher(allow_private=True)
        try:
            got = fetcher.get(testsite.url + "/to-cloud")
        finally:
            fetcher.close()
    assert got.redirects and got.redirects[0]["to"].startswith("http://cloud.example/")
    assert got.error == (
        "SSRF guard: cloud.example is 169.254.169.254, a link-local or reserved address"
    )


def test_a_pinned_connection_still_names_the_site_in_the_host_header(monkeypatch, testsite):
    port = testsite.url.rsplit(":", 1)[1]
    with fake_dns(monkeypatch, {"bakery.example": ["127.0.0.1"]}) as asked:
        fetcher = _fetcher(allow_private=True)
        try:
            got = fetcher.get(f"http://bakery.example:{port}/hours")
            again = fetcher.get(f"http://bakery.example:{port}/faq")
        finally:
            fetcher.close()
    assert got.status == 200 and again.status == 200 and b"Opening hours" in got.body
    assert testsite.hosts[-2:] == [f"bakery.example:{port}"] * 2
    assert asked["bakery.example"] >= 1


def test_a_connection_closed_by_the_os_tells_no_more_than_could_not_connect():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = closed.getsockname()[1]
        fetcher = _fetcher(allow_private=True)
        try:
            got = fetcher.get(f"http://127.0.0.1:{port}/")
        finally:
            fetcher.close()
    assert got.error == f"ConnectError: could not connect to 127.0.0.1:{port}"


@pytest.fixture()
def tls_server(tmp_path):
    """A TLS server on loopback that records the name each client asked for (SNI)."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=secure.example", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (ssl.SSLError, OSError):
            pass  # the client does not trust our certificate: the handshake is what counts

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], names
    listener.close()
    thread.join(5)


def test_a_pinned_tls_connection_sends_the_sites_name_for_sni(monkeypatch, tls_server):
    port, names = tls_server
    with fake_dns(monkeypatch, {"secure.example": ["127.0.0.1"]}):
        fetcher = _fetcher(allow_private=True)
        try:
            got = fetcher.get(f"https://secure.example:{port}/")
        finally:
            fetcher.close()
    assert got.error  # a self-signed certificate is refused, as it should be
    assert names == ["secure.example"]
