"""Logging in and out, the one-time setup link, and switching tenant."""

from __future__ import annotations

from quart import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as WerkzeugResponse  # what redirect() returns

from sitespeak.accounts import setup_links, users
from sitespeak.admin.context import (
    Admin,
    anonymous_session,
    clear_session_cookie,
    client_address,
    form_value,
    login_guard,
    page,
    sessions,
    set_session_cookie,
)
from sitespeak.admin.rendering import friendly_errors, nav_items, render
from sitespeak.errors import Forbidden, InvalidInput
from sitespeak.web.runtime import runtime

bp = Blueprint(
    "admin_auth",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
friendly_errors(bp)


@bp.app_context_processor
async def _menu() -> dict:
    return {"nav_items": nav_items}


def _safe_next(target: str | None) -> str:
    # Only our own admin pages: an open redirect would turn the login page into a phishing aid.
    if target and target.startswith("/admin") and "\\" not in target:
        return target
    return url_for("admin_dash.dashboard")


@bp.get("/login")
async def login() -> Response | WerkzeugResponse:
    session = await anonymous_session()
    if session.authenticated:
        return redirect(_safe_next(request.args.get("next")))
    response = await render(
        "login.html", csrf=session.csrf, next=request.args.get("next", ""), error=None
    )
    return set_session_cookie(response, session)


@bp.post("/login")
async def login_submit() -> Response | WerkzeugResponse:
    session = await anonymous_session()
    form = await request.form
    session.check_csrf(form.get("csrf"))
    email, password = (form.get("email") or "").strip(), form.get("password") or ""
    guard, address = login_guard(), client_address()
    await guard.before_attempt(email, address)
    user = await runtime().db.run(users.authenticate, email, password)
    if user is None:
        await guard.failed(email, address)
        response = await render(
            "login.html",
            status=401,
            csrf=session.csrf,
            next=form.get("next", ""),
            error="Wrong e-mail or password.",
        )
        return set_session_cookie(response, session)
    await guard.succeeded(email, address)
    return await _start_session(session, user.id, form.get("next"))


async def _start_session(old, user_id: int, next_url: str | None) -> WerkzeugResponse:
    store = sessions()
    if old is not None:
        await store.destroy(old)
    home = await runtime().db.run(lambda: users.home_tenant(users.get_user(user_id)))
    fresh = await store.create(user_id, home)
    return set_session_cookie(redirect(_safe_next(next_url)), fresh)


@bp.post("/logout")
@page("read")
async def logout(admin: Admin) -> WerkzeugResponse:
    await sessions().destroy(admin.session)
    return clear_session_cookie(redirect(url_for("admin_auth.login")))


@bp.post("/logout-everywhere")
@page("read")
async def logout_everywhere(admin: Admin) -> WerkzeugResponse:
    await sessions().destroy_all(admin.user_id)
    return clear_session_cookie(redirect(url_for("admin_auth.login")))


@bp.post("/tenant")
@page("read")
async def switch_tenant(admin: Admin) -> WerkzeugResponse:
    wanted = await form_value("tenant_id")
    match = next((t for t in admin.tenants if str(t.tenant_id) == wanted), None)
    if match is None:
        raise Forbidden("you are not a member of that tenant")
    admin.session.tenant_id = match.tenant_id
    await sessions().save(admin.session)
    return redirect(url_for("admin_dash.dashboard"))


@bp.get("/setup/<token>")
async def setup(token: str) -> Response:
    link = await runtime().db.run(setup_links.peek, token)
    session = await anonymous_session()
    response = await render("setup.html", csrf=session.csrf, email=link.user.email, error=None)
    return set_session_cookie(response, session)


@bp.post("/setup/<token>")
async def setup_submit(token: str) -> Response | WerkzeugResponse:
    session = await anonymous_session()
    form = await request.form
    session.check_csrf(form.get("csrf"))
    link = await runtime().db.run(setup_links.peek, token)
    password = form.get("password") or ""
    if password != (form.get("confirm") or ""):
        response = await render(
            "setup.html",
            status=400,
            csrf=session.csrf,
            email=link.user.email,
            error="The two passwords differ.",
        )
        return set_session_cookie(response, session)
    try:
        user = await runtime().db.run(setup_links.consume, token, password)
    except InvalidInput as exc:
        response = await render(
            "setup.html", status=400, csrf=session.csrf, email=link.user.email, error=exc.message
        )
        return set_session_cookie(response, session)
    # A new password ends every older session of this account.
    await sessions().destroy_all(user.id)
    return await _start_session(session, user.id, None)
