"""Admin UI benchmark against a real web process: login latency (argon2id verify on purpose
slow), then dashboard and tokens page latency and throughput for a logged-in session, and the
OpenAPI document. Prints figures; nothing is asserted."""

from __future__ import annotations

import re
import time

import httpx
from _stack import bench_services, env_for, percentile

from sitespeak.accounts import users
from sitespeak.db.connection import database
from sitespeak.tenancy.tenants import create_tenant
from tests.support.processes import start_web

PASSWORD = "benchmark passphrase"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _login(base: str) -> tuple[httpx.Client, float]:
    client = httpx.Client(base_url=base, timeout=30)
    token = CSRF.search(client.get("/admin/login").text).group(1)
    start = time.perf_counter()
    reply = client.post(
        "/admin/login", data={"email": "bench@example.test", "password": PASSWORD, "csrf": token}
    )
    elapsed = time.perf_counter() - start
    assert reply.status_code == 302, reply.text
    return client, elapsed


def _measure(client: httpx.Client, path: str, seconds: float = 3.0) -> tuple[float, list[float]]:
    took, end = [], time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        assert client.get(path).status_code == 200
        took.append(time.perf_counter() - start)
    return len(took) / seconds, took


def main() -> None:
    with bench_services() as (found, state):
        with database.connection_context():
            tenant, _ = create_tenant("Bench")
            user, _ = users.ensure_user("bench@example.test")
            users.set_role(tenant.id, user, "owner")
            users.set_password(user.id, PASSWORD)
        env = env_for(
            found, state, SITESPEAK_LOGIN_RATE_PER_MINUTE="10000", SITESPEAK_VOICE_PRELOAD="false"
        )
        web = start_web(env, state, 60)
        try:
            logins = [_login(web.url) for _ in range(8)]
            times = [t for _, t in logins]
            print(
                f"login (argon2id verify + session): p50 "
                f"{percentile(times, 50) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                f"over {len(times)}"
            )
            client = logins[0][0]
            for path in ("/admin/", "/admin/tokens", "/api/v1/openapi.json"):
                rate, took = _measure(client, path)
                print(
                    f"GET {path}: {rate:.0f} req/s sequential, "
                    f"p50 {percentile(took, 50) * 1000:.1f} ms, "
                    f"p95 {percentile(took, 95) * 1000:.1f} ms"
                )
        finally:
            web.stop()


if __name__ == "__main__":
    main()
