"""Who is using the admin UI (``sitespeak.web.signed_in``: the session behind the cookie, the
user and their role). ``page(action)`` wraps every admin view: it sends anonymous visitors to the
login page, checks the CSRF token of every unsafe request, and the role."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from quart import g, redirect, request, url_for
from werkzeug.sansio.response import Response as BaseResponse

from sitespeak.accounts.lockout import LoginGuard
from sitespeak.accounts.sessions import Session, SessionStore
from sitespeak.web.runtime import WebRuntime, runtime
from sitespeak.web.signed_in import COOKIE, Admin, load_admin

__all__ = ["COOKIE", "Admin", "load_admin", "page", "sessions", "login_guard"]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
R = TypeVar("R", bound=BaseResponse)  # a page or a redirect: both carry cookies
# Every view page() wrapped, with the role action it needs (the isolation test reads it).
PAGE_ACTIONS: dict[Callable[..., Any], str] = {}


def sessions(rt: WebRuntime | None = None) -> SessionStore:
    return (rt or runtime()).sessions


def login_guard(rt: WebRuntime | None = None) -> LoginGuard:
    return (rt or runtime()).login_guard


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

        PAGE_ACTIONS[wrapper] = action
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
        # Only a redirect from the knowledge releases' old paths (it reads and shows nothing):
        # the page it leads to checks the login and the site.
        "admin_releases.moved",
    }
)


def set_session_cookie(response: R, session: Session) -> R:
    rt = runtime()
    secure = rt.settings.base_url.startswith("https://") or request.scheme == "https"
    max_age = int(rt.settings.session_max_age) if session.authenticated else 1800
    response.set_cookie(
        COOKIE, session.sid, max_age=max_age, httponly=True, secure=secure, samesite="Lax", path="/"
    )
    return response


def clear_session_cookie(response: R) -> R:
    response.delete_cookie(COOKIE, path="/")
    return response


async def anonymous_session() -> Session:
    """The visitor's session for a login/setup form: reuse theirs or start a short one."""
    session = await sessions().load(request.cookies.get(COOKIE))
    return session or await sessions().create(None, None)


def client_address() -> str:
    # X-Forwarded-For is applied before the app, and only from SITESPEAK_TRUSTED_PROXIES.
    return request.remote_addr or "unknown"
