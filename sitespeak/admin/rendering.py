"""Rendering admin pages; errors become friendly HTML pages (the API keeps problem+json)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError
from quart import Blueprint, Response, g, render_template
from werkzeug.exceptions import HTTPException

from sitespeak.errors import SiteSpeakError, TooManyRequests, Unavailable, outage_from
from sitespeak.web.problems import with_allow

log = logging.getLogger(__name__)


async def render(template: str, status: int = 200, **context: Any) -> Response:
    admin = g.get("admin")
    body = await render_template(
        template,
        admin=admin,
        csrf=context.pop("csrf", None) or (admin.session.csrf if admin else ""),
        **context,
    )
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def human_time(iso: str | None) -> str:
    """An ISO timestamp as a person reads it, in UTC ("2 Dec 2026, 14:05 UTC"); admin.js
    rewrites it in the viewer's own time zone ("today 15:05")."""
    if not iso:
        return ""
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    when = when.astimezone(dt.UTC) if when.tzinfo else when
    return f"{when.day} {when:%b %Y, %H:%M} UTC"


def job_took(job: dict) -> str:
    """How long a finished job ran ("2.4 s", "3 min"), or "—"."""
    try:
        took = dt.datetime.fromisoformat(job["finished_at"]) - dt.datetime.fromisoformat(
            job["started_at"]
        )
    except (KeyError, TypeError, ValueError):
        return "—"
    seconds = took.total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.0f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


async def error_page(status: int, title: str, message: str) -> Response:
    return await render("error.html", status=status, title=title, message=message)


def friendly_errors(bp: Blueprint) -> None:
    @bp.errorhandler(SiteSpeakError)
    async def _ours(exc: SiteSpeakError) -> Response:
        response = await error_page(
            exc.status, _TITLES.get(exc.status, "Something went wrong"), exc.message
        )
        if isinstance(exc, Unavailable | TooManyRequests):  # both say when to come back
            response.headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return response

    @bp.errorhandler(ValidationError)
    async def _invalid(exc: ValidationError) -> Response:
        detail = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'form'}: {e['msg']}" for e in exc.errors()
        )
        return await error_page(422, "Please check the form", detail)

    @bp.errorhandler(HTTPException)
    async def _http(exc: HTTPException) -> Response:
        response = await error_page(exc.code or 500, exc.name, exc.description or exc.name)
        return with_allow(response, exc)

    @bp.errorhandler(Exception)
    async def _unexpected(exc: Exception) -> Response:
        outage = outage_from(exc)
        if outage is not None:
            log.warning("%s: %s: %s", outage.message, type(exc).__name__, exc)
            return await _ours(outage)
        log.exception("unhandled error in the admin UI")
        return await error_page(
            500, "Something went wrong", "An unexpected error happened; it was logged."
        )


_TITLES = {
    400: "Please check the form",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible right now",
    413: "Too large",
    429: "Slow down",
    503: "Unavailable",
}


# The admin menu; pages of capabilities that are not installed simply do not show.
NAV: tuple[tuple[str, str], ...] = (
    ("admin_dash.dashboard", "Dashboard"),
    ("admin_sites.sites_index", "Sites"),
    ("admin_knowledge.runs", "Knowledge"),
    ("admin_conversations.conversations_index", "Conversations"),
    ("admin_conversations.charts", "Charts"),
    ("admin_dash.jobs", "Jobs"),
    ("admin_people.list_users", "Users"),
    ("admin_people.tokens", "API tokens"),
)


def nav_items() -> list[tuple[str, str]]:
    from quart import current_app

    return [(endpoint, label) for endpoint, label in NAV if endpoint in current_app.view_functions]
