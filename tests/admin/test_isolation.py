"""Table-driven isolation: every API route and admin page, found through ``app.url_map`` (so new
routes are covered automatically), tried as alice (owner of A), bob (viewer in A, read-only
token), charlie (owner of B) and anonymous, against resources that belong to alice's tenant."""

from __future__ import annotations

import re
import uuid

import pytest

from sitespeak.admin.context import PAGE_ACTIONS, PUBLIC_ENDPOINTS
from sitespeak.db.connection import database
from sitespeak.jobs import ledger
from sitespeak.jobs.diagnostics import KINDS as DIAGNOSTICS
from tests.admin.conftest import log_in

_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ECHO = next(kind for kind in DIAGNOSTICS if kind.name == "echo")
# Public outside /api and /admin: health probes, metrics, the widget and voice socket (site keys).
PUBLIC_PREFIXES = ("/health", "/metrics", "/static", "/voice-ws", "/widget", "/try", "/socket.io")


def _alice_resources(alice, bob) -> dict[str, str]:
    """One real resource of tenant A per URL parameter name we know how to make."""
    with database.connection_context():
        job, _ = ledger.create(
            alice.tenant.id, ECHO, {"message": "iso"}, idempotency_key=f"iso-{uuid.uuid4()}"
        )
        found = {"job_id": str(job.id), "user_id": str(bob.user.id)}
        from sitespeak.db.models import ApiToken

        token = ApiToken.get(ApiToken.tenant == alice.tenant.id, ApiToken.name == "alice-token")
        found["token_id"] = str(token.id)
        found.update(_knowledge_resources(alice))
    return found


def _knowledge_resources(alice) -> dict[str, str]:
    try:
        from sitespeak import sites
        from sitespeak.knowledge.models import CrawlRun
        from sitespeak.voice import conversations
    except ImportError:
        return {}
    site = sites.create_site(
        alice.tenant.id, f"Alice site {uuid.uuid4().hex[:6]}", ["https://alice.example/"]
    )
    run = CrawlRun.create(tenant=alice.tenant.id, site=site.id, status="succeeded")
    session_id = f"vs_{uuid.uuid4().hex}"
    conversations.open_session(
        session_id, alice.tenant.id, site.id, "https://alice.example/", "en-US", "127.0.0.1", {}
    )
    return {
        "site_ref": str(site.id),
        "site_id": str(site.id),
        "run_id": str(run.id),
        "session_id": session_id,
    }


def _fill(rule: str, values: dict[str, str]) -> tuple[str, bool]:
    """The URL with alice's resources filled in, and whether every parameter was a real one."""
    complete = True

    def sub(match: re.Match) -> str:
        nonlocal complete
        if match.group(2) in values:
            return values[match.group(2)]
        complete = False
        return "1" if match.group(1) in ("int", "id") else "unknown"

    return _PARAM.sub(sub, rule), complete


def _routes(app, prefix: str):
    for rule in app.url_map.iter_rules():
        if rule.websocket or not rule.rule.startswith(prefix):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method


async def _api(app, method: str, url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = {"json": {}} if method in UNSAFE else {}
    response = await app.test_client().open(url, method=method, headers=headers, **kwargs)
    return response.status_code


async def test_every_api_route_keeps_tenants_apart(app, alice, bob, charlie):
    values = _alice_resources(alice, bob)
    failures, checked = [], 0
    for rule, method in _routes(app, "/api/"):
        view = app.view_functions[rule.endpoint]
        if getattr(view, "_quart_schema_security_tag", None) == [] or rule.endpoint in (
            "openapi",  # quart-schema's document, public
            "events.stream",  # never ends; covered by the skeleton tests
        ):
            continue  # public: marked so by security_scheme([]) (the docs page)
        url, complete = _fill(rule.rule, values)
        checked += 1
        anon = await _api(app, method, url, None)
        if anon != 401:
            failures.append(f"anonymous {method} {rule.rule}: {anon}, want 401")
        if method not in UNSAFE:
            mine = await _api(app, method, url, alice.token)
            if complete and not 200 <= mine < 300:
                failures.append(f"alice {method} {url}: {mine}, want 2xx for her own resource")
            theirs = await _api(app, method, url, charlie.token)
            # With a made-up id a 400 (malformed id) is as good as a 404.
            wanted = (403, 404) if complete else (400, 403, 404, 422)
            if rule.arguments and theirs not in wanted:
                failures.append(f"charlie {method} {rule.rule}: {theirs}, want 404")
            viewer = await _api(app, method, url, bob.token)
            if complete and viewer != mine:
                failures.append(f"bob {method} {url}: {viewer}, alice got {mine}")
            continue
        scope = getattr(view, "api_scope", "write")  # set by auth.requires
        viewer = await _api(app, method, url, bob.token)
        if scope == "write" and viewer != 403:
            failures.append(f"bob (read-only) {method} {rule.rule}: {viewer}, want 403")
        if rule.arguments:
            theirs = await _api(app, method, url, charlie.token)
            if not 400 <= theirs < 500 or theirs == 401:
                failures.append(f"charlie {method} {rule.rule} on alice's resource: {theirs}")
    assert checked >= 2
    assert not failures, "\n".join(failures)


async def test_every_admin_page_needs_a_login_and_the_right_role(app, alice, bob, charlie):
    values = _alice_resources(alice, bob)
    bob_browser = await log_in(app, bob.user.email)
    charlie_browser = await log_in(app, charlie.user.email)
    alice_browser = await log_in(app, alice.user.email)
    failures = []
    for rule, method in _routes(app, "/admin"):
        view = app.view_functions[rule.endpoint]
        action = PAGE_ACTIONS.get(view)
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        if action is None:
            failures.append(f"{rule.endpoint} is neither public nor wrapped in page()")
            continue
        url, complete = _fill(rule.rule, values)
        anon = await app.test_client().open(
            url, method=method, **({"form": {}} if method in UNSAFE else {})
        )
        if anon.status_code != 302 or "/admin/login" not in anon.headers.get("Location", ""):
            failures.append(f"anonymous {method} {rule.rule}: {anon.status_code}, want login")
        if getattr(view, "__admin_stream__", False):
            continue  # an endless event stream: the login check above is what matters
        if method == "GET":
            await _check_page(
                failures, rule, url, complete, alice_browser, bob_browser, charlie_browser, alice
            )
        elif action != "read":
            response, _ = await bob_browser.post(url, {})
            if response.status_code != 403:
                failures.append(f"bob (viewer) POST {rule.rule}: {response.status_code}, want 403")
            if rule.arguments and complete:
                response, _ = await charlie_browser.post(url, {})
                if response.status_code not in (403, 404):
                    failures.append(
                        f"charlie POST {rule.rule} on alice's resource: {response.status_code}"
                    )
    assert not failures, "\n".join(failures)


async def _check_page(failures, rule, url, complete, alice_b, bob_b, charlie_b, alice) -> None:
    mine, _ = await alice_b.get(url)
    if complete and mine.status_code != 200:
        failures.append(f"alice GET {url}: {mine.status_code}, want 200")
    viewer, _ = await bob_b.get(url)
    if complete and viewer.status_code != mine.status_code:
        failures.append(f"bob GET {url}: {viewer.status_code}, alice got {mine.status_code}")
    theirs, body = await charlie_b.get(url)
    if rule.arguments and complete and theirs.status_code not in (403, 404):
        failures.append(f"charlie GET {rule.rule} of alice's resource: {theirs.status_code}")
    for secret in (alice.user.email, "Tenant A", "alice-token", "Alice site"):
        if secret in body:
            failures.append(f"charlie GET {url} shows {secret!r}")


@pytest.mark.parametrize("role_page", ["/admin/tokens", "/admin/users"])
async def test_a_viewer_sees_no_forms_that_would_change_anything(app, bob, role_page):
    browser = await log_in(app, bob.user.email)
    _, body = await browser.get(role_page)
    assert "Create a token" not in body and "Invite someone" not in body
    assert "Revoke" not in body and "Remove" not in body
