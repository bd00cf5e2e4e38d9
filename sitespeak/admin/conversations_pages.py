"""Conversations (transcripts, citations, actions, per-turn latency) and the SVG charts."""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup
from quart import Blueprint, Response, request

from sitespeak import sites
from sitespeak.admin.context import Admin, page
from sitespeak.admin.rendering import friendly_errors, human_time, render
from sitespeak.analytics import conversations as stats
from sitespeak.analytics import summary, svg
from sitespeak.errors import InvalidInput
from sitespeak.voice import conversations
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_conversations", __name__, url_prefix="/admin")
friendly_errors(bp)
bp.add_app_template_filter(human_time, "human_time")


def _pick_site(tenant_id: int, wanted: str | None) -> tuple[list[dict], dict | None]:
    """The tenant's sites and the one asked for (?site=ID), or the first one."""
    all_sites = [sites.site_view(s) for s in sites.list_sites(tenant_id)]
    if wanted:
        return all_sites, sites.site_view(sites.get_site(tenant_id, wanted))
    return all_sites, (all_sites[0] if all_sites else None)


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: a date like 2026-12-31, not {value[:40]!r}") from None


def _filters(args) -> dict:
    outcome = args.get("outcome", "")
    if outcome and outcome not in conversations.OUTCOMES:
        raise InvalidInput(f"outcome: one of {', '.join(conversations.OUTCOMES)}")
    return {
        "outcome": outcome,
        "since": _day(args.get("since"), "from"),
        "until": _day(args.get("until"), "to"),
    }


def _listing(tenant_id: int, wanted: str | None, filters: dict) -> dict:
    all_sites, site = _pick_site(tenant_id, wanted)
    found = (
        conversations.list_conversations(tenant_id, site["id"], **filters)
        if site
        else {"items": [], "total": 0}
    )
    return {"sites": all_sites, "site": site, "filters": filters, **found}


def _conversation(tenant_id: int, site_id: int, session_id: str) -> dict:
    site = sites.site_view(sites.get_site(tenant_id, site_id))
    detail = conversations.get_session(tenant_id, site_id, session_id)
    for turn in detail["turns"]:
        stages = stats.stage_breakdown(turn["timings"] or {})
        turn["stages"] = stages
        turn["bar"] = Markup(svg.stacked_bar(stages))
    return {"site": site, "conversation": detail}


RANGES = (7, 30, 90)  # days a chart may span


def _charts(tenant_id: int, wanted: str | None, span: int = 30) -> dict:
    """Everything on the charts page comes from the rollups (never a scan of the turns)."""
    all_sites, site = _pick_site(tenant_id, wanted)
    if site is None:
        return {"sites": all_sites, "site": None, "span": span, "ranges": RANGES}
    days = summary.daily_series(tenant_id, site["id"], days=span)
    labels = [d["day"] for d in days]
    totals = summary.site_summary(tenant_id, site["id"], days=span)

    def line(title: str, key: str) -> Markup:
        series = {"p50": [d[f"{key}_p50"] for d in days], "p95": [d[f"{key}_p95"] for d in days]}
        return Markup(svg.line_chart(labels, series, title, " ms"))

    return {
        "sites": all_sites,
        "site": site,
        "span": span,
        "ranges": RANGES,
        "totals": totals,
        "turns_chart": Markup(
            svg.bar_chart([(d["day"], d["turns"]) for d in days], "Turns per day")
        ),
        "sessions_chart": Markup(
            svg.bar_chart([(d["day"], d["sessions"]) for d in days], "Visitor sessions per day")
        ),
        "feedback_chart": line("First feedback (ms)", "feedback"),
        "audio_chart": line("First audio (ms)", "audio"),
        "top": totals["top_questions"],
        "gaps": totals["gaps"],
    }


@bp.get("/conversations")
@page("read")
async def conversations_index(admin: Admin) -> Response:
    filters = _filters(request.args)
    data = await runtime().db.run(_listing, admin.tenant_id, request.args.get("site"), filters)
    return await render("conversations.html", **data)


@bp.get("/sites/<int:site_id>/conversations/<session_id>")
@page("read")
async def conversation(admin: Admin, site_id: int, session_id: str) -> Response:
    data = await runtime().db.run(_conversation, admin.tenant_id, site_id, session_id)
    return await render("conversation.html", **data)


@bp.get("/charts")
@page("read")
async def charts(admin: Admin) -> Response:
    span = request.args.get("days", "30")
    if span not in {str(n) for n in RANGES}:
        raise InvalidInput(f"days: one of {', '.join(map(str, RANGES))}")
    data = await runtime().db.run(_charts, admin.tenant_id, request.args.get("site"), int(span))
    return await render("charts.html", **data)
