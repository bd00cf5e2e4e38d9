"""Setup links, invites, API tokens and the dashboard's failed jobs, through the admin pages."""

from __future__ import annotations

import json
import os
import uuid

from sitespeak.accounts import setup_links, users
from sitespeak.db.connection import database
from sitespeak.db.models import Job, User
from sitespeak.jobs import ledger
from sitespeak.jobs.diagnostics import KINDS as DIAGNOSTICS
from tests.admin.conftest import Browser, log_in
from tests.support.processes import run_command

NEW_PASSWORD = "a long and new passphrase"

FAIL = next(kind for kind in DIAGNOSTICS if kind.name == "fail")


def _createadmin(base_env: dict, email: str) -> dict:
    env = {**base_env, "SITESPEAK_PUBLIC_URL": "https://voice.example.test"}
    out = run_command({**os.environ, **env}, "createadmin", email, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


async def test_createadmin_prints_a_one_time_link_that_sets_the_password_and_logs_in(app, base_env):
    email = f"owner-{uuid.uuid4().hex[:6]}@example.test"
    report = _createadmin(base_env, email)
    assert report["link"].startswith("https://voice.example.test/admin/setup/")
    path = report["link"].removeprefix("https://voice.example.test")
    browser = Browser(app.test_client())
    response, body = await browser.get(path)
    assert response.status_code == 200 and email in body
    response, _ = await browser.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"
    response, body = await browser.get("/admin/")
    assert response.status_code == 200 and "superuser" in body and report["tenant"] in body
    again = Browser(app.test_client())
    response, body = await again.get(path)
    assert response.status_code == 404 and "used or expired" in body


async def test_a_weak_password_does_not_use_up_the_setup_link(app, db):
    user, _ = users.ensure_user(f"weak-{uuid.uuid4().hex[:6]}@example.test")
    link = setup_links.issue(user, 600, "http://x")
    path = link.removeprefix("http://x")
    browser = Browser(app.test_client())
    await browser.get(path)
    response, body = await browser.post(path, {"password": "short", "confirm": "short"})
    assert response.status_code == 400 and "at least 10 characters" in body
    response, _ = await browser.post(path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


async def test_an_expired_setup_link_is_refused(app, db):
    user, _ = users.ensure_user(f"late-{uuid.uuid4().hex[:6]}@example.test")
    path = setup_links.issue(user, -1, "http://x").removeprefix("http://x")
    response, body = await Browser(app.test_client()).get(path)
    assert response.status_code == 404 and "expired" in body


async def test_an_owner_invites_an_editor_who_sets_a_password_through_the_link(app, alice):
    browser = await log_in(app, alice.user.email)
    email = f"ed-{uuid.uuid4().hex[:6]}@example.test"
    response, _ = await browser.post("/admin/users", {"email": email, "role": "editor"})
    assert response.status_code == 303
    _, body = await browser.get("/admin/users")
    assert email in body
    link = body.split('id="invite-link" aria-label="Setup link"')[0].rsplit('value="', 1)[1]
    path = link.split('"')[0].split("://", 1)[1].split("/", 1)[1]
    invited = Browser(app.test_client())
    await invited.get("/" + path)
    response, _ = await invited.post(
        "/" + path, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    _, body = await invited.get("/admin/")
    assert "Tenant A" in body and "editor" in body


async def test_a_created_token_is_shown_once_works_and_stops_working_when_revoked(app, alice):
    browser = await log_in(app, alice.user.email)
    response, _ = await browser.post("/admin/tokens", {"name": "ci", "scope": "read"})
    assert response.status_code == 303
    response, body = await browser.get("/admin/tokens")
    assert response.headers["Cache-Control"] == "no-store"
    token = body.split('id="token-value"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert token.startswith("sst_")
    _, listing = await browser.get("/admin/tokens")
    assert token not in listing and token[:10] in listing
    api = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert (await api.get("/api/v1/sites", headers=auth)).status_code == 200
    with database.connection_context():
        from sitespeak.db.models import ApiToken

        row = ApiToken.get(ApiToken.prefix == token[:10])
    response, _ = await browser.post(f"/admin/tokens/{row.id}/revoke")
    assert response.status_code == 302
    assert (await api.get("/api/v1/sites", headers=auth)).status_code == 401


async def test_an_admin_cannot_hand_out_more_than_read_and_write(app, alice):
    browser = await log_in(app, alice.user.email)
    response, body = await browser.post("/admin/tokens", {"name": "x", "scope": "root"})
    assert response.status_code == 400 and "unknown: root" in body


async def test_the_dashboard_lists_the_tenants_dead_jobs_and_retry_requeues_one(
    app, alice, charlie
):
    with database.connection_context():
        job, _ = ledger.create(alice.tenant.id, FAIL, {}, idempotency_key=str(uuid.uuid4()))
        Job.update(status="dead", attempts=3, last_error="RuntimeError: boom on purpose").where(
            Job.id == job.id
        ).execute()
    browser = await log_in(app, alice.user.email)
    _, body = await browser.get("/admin/")
    assert "boom on purpose" in body and f"/admin/jobs/{job.id}/retry" in body
    _, other = await (await log_in(app, charlie.user.email)).get("/admin/")
    assert f"/admin/jobs/{job.id}/retry" not in other
    response, _ = await browser.post(f"/admin/jobs/{job.id}/retry")
    assert response.status_code == 302
    with database.connection_context():
        again = Job.get_by_id(job.id)
    assert (again.status, again.attempts) == ("queued", 0)
    response, body = await browser.post(f"/admin/jobs/{job.id}/retry")
    assert response.status_code == 409 and "only failed or dead" in body


async def test_the_last_owner_cannot_be_removed(app, alice, db):
    other, _ = users.ensure_user(f"own-{uuid.uuid4().hex[:6]}@example.test")
    users.set_role(alice.tenant.id, other, "admin")
    browser = await log_in(app, alice.user.email)
    response, body = await browser.post(f"/admin/users/{other.id}/role", {"role": "viewer"})
    assert response.status_code == 302
    with database.connection_context():
        assert users.role_in(User.get_by_id(other.id), alice.tenant.id) == "viewer"
    response, body = await browser.post(f"/admin/users/{other.id}/remove")
    assert response.status_code == 302
