"""Who is using the admin UI: the Redis session behind the cookie, the user and their role in
the tenant they are looking at. ``page(action)`` wraps every admin view: it sends anonymous
visitors to the login page, checks the CSRF token of every unsafe request, and the role."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from quart import Response, g, redirect, request, url_for

from sitespeak.accounts import roles, users
from sitespeak.accounts.lockout import LoginGuard
from sitespeak.accounts.sessions import Session, SessionStore
from sitespeak.db.models import User
from sitespeak.web.runtime import WebRuntime, runtime

COOKIE = "sitespeak_session"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class Admin:
    session: Session
    user_id: int
    email: str
    superuser: bool
    tenant_id: int | None
    tenant_name: str
    role: str | None
    tenants: list[users.TenantRole] = field(default_factory=list)

    def can(self, action: str) -> bool:
        return roles.allows(self.role, action)

    def require(self, action: str) -> None:
        roles.require(self.role, action)


def sessions(rt: WebRuntime | None = None) -> SessionStore:
    rt = rt or runtime()
    if "sessions" not in rt.extras:
        s = rt.settings
        rt.extras["sessions"] = SessionStore(
            rt.redis, s.redis_prefix, s.session_idle_timeout, s.session_max_age
        )
    return rt.extras["sessions"]


def login_guard(rt: WebRuntime | None = None) -> LoginGuard:
    rt = rt or runtime()
    if "login_guard" not in rt.extras:
        rt.extras["login_guard"] = LoginGuard(rt.redis, rt.settings)
    return rt.extras["login_guard"]


def _resolve(user_id: int, tenant_id: int | None) -> tuple[User, list[users.TenantRole]] | None:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    return user, users.tenant_roles(user)


async def load_admin() -> Admin | None:
    session = await sessions().load(request.cookies.get(COOKIE))
    if session is None or not session.authenticated:
        return None
    found = await runtime().db.run(_resolve, session.user_id, session.tenant_id)
    if found is None:
        return None
    user, tenant_roles = found
    # The tenant in the session may have been taken away since: fall back to the first one.
    current = next(
        (t for t in tenant_roles if t.tenant_id == session.tenant_id),
        tenant_roles[0] if tenant_roles else None,
    )
    return Admin(
        session,
        user.id,
        user.email,
        user.is_superuser,
        current.tenant_id if current else None,
        current.tenant_name if current else "",
        current.role if current else None,
        tenant_roles,
    )


async def form_value(name: str) -> str:
    return ((await request.form).get(name) or "").strip()


def page(action: str = "read") -> Callable:
    """Decorate an admin view: login, CSRF on unsafe methods, and the role ``action`` needs."""

    def wrap(view: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(view)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            admin = await load_admin()
            if admin is None:
                return redirect(url_for("admin_auth.login", next=request.full_path.rstrip("?")))
            if request.method in UNSAFE:
                admin.session.check_csrf((await request.form).get("csrf"))
            g.admin = admin
            admin.require(action)
            return await view(admin, *args, **kwargs)

        wrapper.__admin_action__ = action  # the isolation test reads it
        return wrapper

    return wrap


# Admin endpoints reachable without logging in (everything else must use ``page``).
PUBLIC_ENDPOINTS = frozenset(
    {
        "admin_auth.login",
        "admin_auth.login_submit",
        "admin_auth.setup",
        "admin_auth.setup_submit",
        "admin_auth.static",
    }
)


def set_session_cookie(response: Response, session: Session) -> Response:
    rt = runtime()
    secure = rt.settings.base_url.startswith("https://") or request.scheme == "https"
    max_age = int(rt.settings.session_max_age) if session.authenticated else 1800
    response.set_cookie(
        COOKIE, session.sid, max_age=max_age, httponly=True, secure=secure, samesite="Lax", path="/"
    )
    return response


def clear_session_cookie(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/")
    return response


async def anonymous_session() -> Session:
    """The visitor's session for a login/setup form: reuse theirs or start a short one."""
    session = await sessions().load(request.cookies.get(COOKIE))
    return session or await sessions().create(None, None)


def client_address() -> str:
    # Behind a reverse proxy the operator's proxy sets this; we do not trust X-Forwarded-For.
    return request.remote_addr or "unknown"
