"""Logging in to the admin UI: sessions, CSRF, lockout, log out everywhere."""

from __future__ import annotations

from sitespeak.accounts import users
from sitespeak.assembly import web_app
from sitespeak.db.models import Membership
from tests.admin.conftest import PASSWORD, Browser, log_in, quiet_settings


async def test_an_anonymous_visitor_is_sent_to_the_login_page(app):
    response = await app.test_client().get("/admin/tokens")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=/admin/tokens")


async def test_alice_logs_in_and_sees_her_tenant_on_the_dashboard(app, alice):
    browser = await log_in(app, alice.user.email)
    response, body = await browser.get("/admin/")
    assert response.status_code == 200
    assert "Tenant A" in body and alice.user.email in body and "Workers and queues" in body


async def test_the_session_cookie_is_httponly_and_samesite_lax(app, alice):
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    response, _ = await browser.post(
        "/admin/login", {"email": alice.user.email, "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https installs get Secure


async def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app, alice):
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    response, body = await browser.post(
        "/admin/login", {"email": alice.user.email, "password": "nope nope nope"}
    )
    assert response.status_code == 401
    assert "Wrong e-mail or password" in body
    response, body = await browser.post(
        "/admin/login", {"email": "nobody@example.test", "password": "nope nope nope"}
    )
    assert response.status_code == 401 and "Wrong e-mail or password" in body


async def test_a_login_form_without_its_csrf_token_is_refused(app, alice):
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    response, body = await browser.post(
        "/admin/login", {"email": alice.user.email, "password": PASSWORD}, csrf=False
    )
    assert response.status_code == 403 and "CSRF" in body


async def test_a_form_with_another_sessions_csrf_token_is_refused(app, alice, bob):
    alice_browser = await log_in(app, alice.user.email)
    bob_browser = await log_in(app, bob.user.email)
    response, _ = await alice_browser.post(
        "/admin/tokens", {"name": "x", "scope": "read", "csrf": bob_browser.csrf}
    )
    assert response.status_code == 403


async def test_too_many_wrong_passwords_lock_the_account_even_for_the_right_one(
    app, charlie, settings
):
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    for _ in range(settings.login_max_failures):
        response, _ = await browser.post(
            "/admin/login", {"email": charlie.user.email, "password": "wrong password"}
        )
        assert response.status_code == 401
    response, body = await browser.post(
        "/admin/login", {"email": charlie.user.email, "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "locked" in body and int(response.headers["Retry-After"]) > 60


async def test_many_attempts_from_one_address_are_rate_limited(
    settings, passwords_set, flush_login_limits
):
    strict = quiet_settings(settings).model_copy(update={"login_rate_per_minute": 4})
    app = web_app(strict)
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    statuses = []
    for n in range(strict.login_rate_per_minute + 1):
        response, _ = await browser.post(
            "/admin/login", {"email": f"u{n}@example.test", "password": "wrong password"}
        )
        statuses.append(response.status_code)
    assert statuses[:-1] == [401] * strict.login_rate_per_minute
    assert statuses[-1] == 429 and int(response.headers["Retry-After"]) >= 1
    await app.extensions["sitespeak"].redis.aclose()
    app.extensions["sitespeak"].db.close()


async def test_logging_out_ends_only_that_session(app, alice):
    first = await log_in(app, alice.user.email)
    second = await log_in(app, alice.user.email)
    response, _ = await first.post("/admin/logout")
    assert response.status_code == 302
    assert (await first.client.get("/admin/")).status_code == 302
    assert (await second.client.get("/admin/")).status_code == 200


async def test_log_out_everywhere_ends_every_session_of_the_user(app, alice, bob):
    first = await log_in(app, alice.user.email)
    second = await log_in(app, alice.user.email)
    other = await log_in(app, bob.user.email)
    response, _ = await first.post("/admin/logout-everywhere")
    assert response.status_code == 302
    assert (await first.client.get("/admin/")).status_code == 302
    assert (await second.client.get("/admin/")).status_code == 302
    assert (await other.client.get("/admin/")).status_code == 200


async def test_a_login_replaces_the_anonymous_session_id(app, alice):
    browser = Browser(app.test_client())
    response, _ = await browser.get("/admin/login")
    before = response.headers["Set-Cookie"].split(";")[0]
    response, _ = await browser.post(
        "/admin/login", {"email": alice.user.email, "password": PASSWORD}
    )
    after = response.headers["Set-Cookie"].split(";")[0]
    assert before != after


async def test_next_only_redirects_to_admin_pages(app, alice):
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    response, _ = await browser.post(
        "/admin/login",
        {"email": alice.user.email, "password": PASSWORD, "next": "//evil.example/x"},
    )
    assert response.headers["Location"] == "/admin/"


async def test_over_https_the_session_cookie_is_secure(
    settings, alice, passwords_set, flush_login_limits
):
    app = web_app(
        quiet_settings(settings).model_copy(update={"public_url": "https://voice.example.test"})
    )
    browser = Browser(app.test_client())
    await browser.get("/admin/login")
    response, _ = await browser.post(
        "/admin/login", {"email": alice.user.email, "password": PASSWORD}
    )
    assert "Secure" in response.headers["Set-Cookie"]
    await app.extensions["sitespeak"].redis.aclose()
    app.extensions["sitespeak"].db.close()


async def test_a_member_of_two_tenants_switches_between_them_but_not_into_others(
    app, bob, charlie, db
):
    users.set_role(charlie.tenant.id, bob.user, "viewer")
    try:
        browser = await log_in(app, bob.user.email)
        _, body = await browser.get("/admin/")
        assert "Tenant A" in body and "Tenant B" in body  # the switcher lists both
        response, _ = await browser.post("/admin/tenant", {"tenant_id": str(charlie.tenant.id)})
        assert response.status_code == 302
        _, body = await browser.get("/admin/users")
        assert "Users of Tenant B" in body
        response, _ = await browser.post("/admin/tenant", {"tenant_id": "999999"})
        assert response.status_code == 403
    finally:
        Membership.delete().where(
            Membership.user == bob.user.id, Membership.tenant == charlie.tenant.id
        ).execute()


async def test_a_superuser_signs_in_to_their_own_tenant_not_the_first_by_name(app, alice):
    from sitespeak.db.connection import database
    from sitespeak.tenancy import tenants

    with database.connection_context():
        root, _ = users.ensure_user("zoe-root@example.test", superuser=True)
        users.set_password(root.id, PASSWORD)
        home, _ = tenants.create_tenant("Zz Home Of Zoe")
        users.set_role(home.id, root, "owner")
    browser = await log_in(app, "zoe-root@example.test")
    _, body = await browser.get("/admin/")
    # Every tenant is in the switcher (Tenant A sorts first); Zoe's own is the one opened.
    assert f'<option value="{home.id}" selected>Zz Home Of Zoe</option>' in body
