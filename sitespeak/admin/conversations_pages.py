"""Conversations (transcripts, citations, actions, per-turn latency) and the SVG charts."""

from __future__ import annotations

from markupsafe import Markup
from quart import Blueprint, Response, request

from sitespeak import sites
from sitespeak.admin.context import Admin, page
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.analytics import conversations as stats
from sitespeak.analytics import svg
from sitespeak.voice import conversations
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_conversations", __name__, url_prefix="/admin")
friendly_errors(bp)


def _pick_site(tenant_id: int, wanted: str | None) -> tuple[list[dict], dict | None]:
    """The tenant's sites and the one asked for (?site=ID), or the first one."""
    all_sites = [sites.site_view(s) for s in sites.list_sites(tenant_id)]
    if wanted:
        return all_sites, sites.site_view(sites.get_site(tenant_id, wanted))
    return all_sites, (all_sites[0] if all_sites else None)


def _listing(tenant_id: int, wanted: str | None) -> dict:
    all_sites, site = _pick_site(tenant_id, wanted)
    found = (
        conversations.list_sessions(tenant_id, site["id"]) if site else {"items": [], "total": 0}
    )
    return {"sites": all_sites, "site": site, **found}


def _conversation(tenant_id: int, site_id: int, session_id: str) -> dict:
    site = sites.site_view(sites.get_site(tenant_id, site_id))
    detail = conversations.get_session(tenant_id, site_id, session_id)
    for turn in detail["turns"]:
        stages = stats.stage_breakdown(turn["timings"] or {})
        turn["stages"] = stages
        turn["bar"] = Markup(svg.stacked_bar(stages))
    return {"site": site, "conversation": detail}


def _charts(tenant_id: int, wanted: str | None) -> dict:
    all_sites, site = _pick_site(tenant_id, wanted)
    if site is None:
        return {"sites": all_sites, "site": None}
    tid, sid = tenant_id, site["id"]
    latency = stats.latency_per_day(tid, sid)
    days = [row["day"] for row in latency]
    return {
        "sites": all_sites,
        "site": site,
        "turns_chart": Markup(svg.bar_chart(stats.turns_per_day(tid, sid), "Turns per day")),
        "feedback_chart": Markup(
            svg.line_chart(
                days,
                {
                    "p50": [r["feedback_p50"] for r in latency],
                    "p95": [r["feedback_p95"] for r in latency],
                },
                "First feedback (ms)",
                " ms",
            )
        ),
        "audio_chart": Markup(
            svg.line_chart(
                days,
                {
                    "p50": [r["audio_p50"] for r in latency],
                    "p95": [r["audio_p95"] for r in latency],
                },
                "First audio (ms)",
                " ms",
            )
        ),
        "top": stats.top_questions(tid, sid),
        "gaps": stats.top_questions(tid, sid, uncovered_only=True),
    }


@bp.get("/conversations")
@page("read")
async def conversations_index(admin: Admin) -> Response:
    data = await runtime().db.run(_listing, admin.tenant_id, request.args.get("site"))
    return await render("conversations.html", **data)


@bp.get("/sites/<int:site_id>/conversations/<session_id>")
@page("read")
async def conversation(admin: Admin, site_id: int, session_id: str) -> Response:
    data = await runtime().db.run(_conversation, admin.tenant_id, site_id, session_id)
    return await render("conversation.html", **data)


@bp.get("/charts")
@page("read")
async def charts(admin: Admin) -> Response:
    data = await runtime().db.run(_charts, admin.tenant_id, request.args.get("site"))
    return await render("charts.html", **data)
