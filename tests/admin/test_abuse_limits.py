"""Abuse limits on a real web process: behind a trusted reverse proxy each visitor has their own
address (X-Forwarded-For, believed only from the listed proxies), wrong passwords lock an
account only for the address they came from (guessing from many addresses shuts out only new
addresses), voice sessions are capped per address, and an
oversize first voice frame is refused unparsed."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.admin.conftest import PASSWORD, csrf_of
from tests.support.processes import start_web
from tests.voice.client import ws_url

pytestmark = pytest.mark.slow
ATTACKER, OWNER = "203.0.113.9", "198.51.100.4"
ACCOUNT_MAX_FAILURES = 6  # above the per-address limit (5), so one address alone never reaches it
METRICS_TOKEN = "scrape-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def proxied_web(base_env, tmp_path_factory):
    """A web process behind a reverse proxy on 127.0.0.1 (the tests play the proxy)."""
    proc = start_web(
        {
            **base_env,
            "SITESPEAK_REDIS_PREFIX": f"{base_env['SITESPEAK_REDIS_PREFIX']}-abuse",
            "SITESPEAK_TRUSTED_PROXIES": "127.0.0.1",
            "SITESPEAK_VOICE_SESSIONS_PER_ADDRESS": "2",
            "SITESPEAK_LOGIN_RATE_PER_MINUTE": "1000",
            "SITESPEAK_LOGIN_ACCOUNT_MAX_FAILURES": str(ACCOUNT_MAX_FAILURES),
            "SITESPEAK_METRICS_TOKEN": METRICS_TOKEN,
            # The tests' connections never start a session: none is closed for that meanwhile
            # (which would give its slot back too).
            "SITESPEAK_VOICE_START_TIMEOUT": "120",
        },
        tmp_path_factory.mktemp("abuse-web"),
    )
    yield proc
    proc.stop()


def _login(web, email: str, password: str, client_address: str | None) -> httpx.Response:
    headers = {"X-Forwarded-For": client_address} if client_address else {}
    with httpx.Client(base_url=web.url, headers=headers, timeout=30) as browser:
        csrf = csrf_of(browser.get("/admin/login").text)
        return browser.post(
            "/admin/login", data={"email": email, "password": password, "csrf": csrf}
        )


def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out_from_another(
    proxied_web, passwords_set, charlie
):
    for _ in range(5):
        assert _login(proxied_web, charlie.user.email, "guess", ATTACKER).status_code == 401
    locked = _login(proxied_web, charlie.user.email, PASSWORD, ATTACKER)
    assert locked.status_code == 429 and "locked" in locked.text
    assert _login(proxied_web, charlie.user.email, PASSWORD, OWNER).status_code == 302


def test_guessing_from_many_addresses_shuts_out_new_addresses_but_not_the_owners(
    proxied_web, passwords_set, alice
):
    assert _login(proxied_web, alice.user.email, PASSWORD, OWNER).status_code == 302
    botnet = [f"192.0.2.{n}" for n in range(1, 4)]  # 3 × 2 = ACCOUNT_MAX_FAILURES
    for address in botnet:  # two guesses each: no address comes near its own lockout
        for _ in range(2):
            assert _login(proxied_web, alice.user.email, "guess", address).status_code == 401
    new_address = _login(proxied_web, alice.user.email, PASSWORD, "192.0.2.200")
    assert new_address.status_code == 429 and "many addresses" in new_address.text
    assert new_address.headers["Retry-After"].isdigit()
    assert _login(proxied_web, alice.user.email, PASSWORD, OWNER).status_code == 302


def test_x_forwarded_for_from_an_untrusted_peer_is_not_believed(
    base_env, tmp_path, passwords_set, bob
):
    web = start_web(
        {**base_env, "SITESPEAK_REDIS_PREFIX": f"{base_env['SITESPEAK_REDIS_PREFIX']}-direct"},
        tmp_path,
    )
    try:
        for _ in range(5):
            assert _login(web, bob.user.email, "guess", ATTACKER).status_code == 401
        # A made-up header cannot pose as another visitor: the peer is the address.
        assert _login(web, bob.user.email, PASSWORD, OWNER).status_code == 429
    finally:
        web.stop()


async def _open(web, client_address: str):
    return await connect(
        ws_url(web.url),
        origin="https://x.example",
        additional_headers={"X-Forwarded-For": client_address},
    )


async def _closed(ws, timeout: float = 30) -> tuple[int, str] | None:
    """The close code and reason if the server closes ``ws`` within ``timeout``, else None."""
    try:
        await asyncio.wait_for(ws.recv(), timeout)
    except ConnectionClosed as closed:
        return closed.rcvd.code, closed.rcvd.reason
    except TimeoutError:
        return None
    return None


async def _admitted(web, client_address: str, within: float = 25):
    """A connection from ``client_address`` the server keeps open, as soon as it takes one
    (tried again until ``within`` seconds, well short of a slot's 30 s lease), else None."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        ws = await _open(web, client_address)
        if await _closed(ws, 1) is None:
            return ws
        await asyncio.sleep(0.2)
    return None


async def test_voice_sessions_are_capped_per_client_address(proxied_web):
    first, second = await _open(proxied_web, ATTACKER), await _open(proxied_web, ATTACKER)
    third = await _open(proxied_web, ATTACKER)
    code, reason = await _closed(third)
    assert code == 4429 and "too many voice sessions from your address" in reason
    elsewhere = await _open(proxied_web, OWNER)
    assert await _closed(elsewhere, 1) is None  # another visitor still gets in
    await first.close()
    # A slot given back is free again (its handler gives it back as it unwinds, after the
    # close handshake: on a busy box that took longer than a fixed 0.3 s would allow).
    again = await _admitted(proxied_web, ATTACKER)
    assert again is not None
    for ws in (second, elsewhere, again):
        await ws.close()


async def test_an_oversize_first_voice_frame_is_refused_unparsed(proxied_web):
    ws = await _open(proxied_web, f"192.0.2.{uuid.uuid4().int % 200 + 1}")
    await ws.send(json.dumps({"type": "session.start", "site_key": "pk_" + "x" * 100_000}))
    code, reason = await _closed(ws)
    assert code == 1009 and "at most 16384 bytes" in reason


def test_health_and_metrics_are_for_this_machine_or_the_token_only(proxied_web):
    visitor = {"X-Forwarded-For": ATTACKER}
    with httpx.Client(base_url=proxied_web.url, timeout=30) as client:
        for path in ("/health", "/metrics"):
            refused = client.get(path, headers=visitor)
            assert refused.status_code == 403, refused.text
            assert "SITESPEAK_METRICS_TOKEN" in refused.json()["detail"]
            scraper = {**visitor, "Authorization": f"Bearer {METRICS_TOKEN}"}
            assert client.get(path, headers=scraper).status_code == 200
            assert client.get(path).status_code == 200  # from this machine, not forwarded
        for path in ("/health/live", "/health/ready"):
            assert client.get(path, headers=visitor).status_code == 200


def test_trace_answers_405_with_the_methods_allowed(proxied_web):
    answer = httpx.request("TRACE", proxied_web.url + "/api/v1/sites", timeout=30)
    assert answer.status_code == 405
    assert {m.strip() for m in answer.headers["Allow"].split(",")} >= {"GET", "POST"}
