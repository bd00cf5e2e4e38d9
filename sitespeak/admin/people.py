"""Users of a tenant (invite, role, remove) and its API tokens (create shown once, revoke)."""

from __future__ import annotations

from quart import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as WerkzeugResponse  # what redirect() returns

from sitespeak.accounts import api_tokens, roles, setup_links, users
from sitespeak.admin.context import Admin, form_value, page, sessions
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.errors import InvalidInput
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_people", __name__, url_prefix="/admin")
friendly_errors(bp)


def _invite(
    tenant_id: int, actor_role: str, email: str, role: str, ttl: float, base_url: str
) -> tuple[str, str | None]:
    """Add (or re-role) a member; a new account gets a one-time setup link."""
    if role not in roles.ROLES:
        raise InvalidInput(f"role: one of {', '.join(roles.ROLES)}")
    roles.require(actor_role, "manage_owners" if role in ("admin", "owner") else "manage_users")
    user, _ = users.ensure_user(email)
    if users.role_in(user, tenant_id) is not None and not user.is_superuser:
        users.change_role(tenant_id, actor_role, user.id, role)
    else:
        users.set_role(tenant_id, user, role)
    link = None if user.password_hash else setup_links.issue(user, ttl, base_url, "invite")
    return user.email, link


@bp.get("/users")
@page("read")
async def list_users(admin: Admin) -> Response:
    members = await runtime().db.run(users.members, admin.tenant_id)
    invited = await sessions().pop_flash(admin.session, "invite")
    return await render("users.html", members=members, roles=roles.ROLES, invited=invited)


@bp.post("/users")
@page("manage_users")
async def invite(admin: Admin) -> WerkzeugResponse:
    rt = runtime()
    email, role = await form_value("email"), await form_value("role")
    shown_email, link = await rt.db.run(
        _invite,
        admin.tenant_id,
        admin.role,
        email,
        role,
        rt.settings.setup_link_ttl,
        rt.settings.base_url,
    )
    # Post/redirect/get: a reload must neither resend the form nor show the link again.
    admin.session.flash = {"kind": "invite", "email": shown_email, "link": link}
    await sessions().save(admin.session)
    return redirect(url_for("admin_people.list_users"), 303)


@bp.post("/users/<int:user_id>/role")
@page("manage_users")
async def change_role(admin: Admin, user_id: int) -> WerkzeugResponse:
    role = await form_value("role")
    await runtime().db.run(users.change_role, admin.tenant_id, admin.role, user_id, role)
    return redirect(url_for("admin_people.list_users"))


@bp.post("/users/<int:user_id>/remove")
@page("manage_users")
async def remove(admin: Admin, user_id: int) -> WerkzeugResponse:
    await runtime().db.run(users.remove_member, admin.tenant_id, admin.role, user_id)
    return redirect(url_for("admin_people.list_users"))


@bp.get("/account")
@page("read")
async def account(admin: Admin) -> Response:
    count = await sessions().count(admin.user_id)
    return await render("account.html", session_count=count)


@bp.get("/tokens")
@page("read")
async def tokens(admin: Admin) -> Response:
    rows = await runtime().db.run(api_tokens.list_tokens, admin.tenant_id)
    created = await sessions().pop_flash(admin.session, "token")
    response = await render(
        "tokens.html",
        tokens=rows,
        created=created,
        scopes=roles.token_scopes(admin.role or "viewer"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tokens")
@page("manage_tokens")
async def create_token(admin: Admin) -> WerkzeugResponse:
    form = await request.form
    issued = await runtime().db.run(
        api_tokens.create,
        admin.tenant_id,
        admin.role,
        form.get("name") or "",
        form.getlist("scope"),
    )
    # Shown once, on the page this redirects to; the database keeps only its hash.
    admin.session.flash = {"kind": "token", "token": issued.token, "name": issued.row.name}
    await sessions().save(admin.session)
    return redirect(url_for("admin_people.tokens"), 303)


@bp.post("/tokens/<int:token_id>/revoke")
@page("manage_tokens")
async def revoke_token(admin: Admin, token_id: int) -> WerkzeugResponse:
    await runtime().db.run(api_tokens.revoke, admin.tenant_id, admin.role, token_id)
    return redirect(url_for("admin_people.tokens"))
