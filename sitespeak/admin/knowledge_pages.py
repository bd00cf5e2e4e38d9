"""Knowledge: crawl runs with per-page outcomes, pages, the search playground, page actions."""

from __future__ import annotations

from quart import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as WerkzeugResponse  # what redirect() returns

from sitespeak import sites
from sitespeak.actions import catalog
from sitespeak.admin.context import Admin, page
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.db.models import Site
from sitespeak.errors import InvalidInput
from sitespeak.knowledge import views
from sitespeak.releases import edits, serving
from sitespeak.voice import answer as answerer
from sitespeak.voice.persona import Persona, site_persona
from sitespeak.voice.phrases import split_answer
from sitespeak.voice.turn import look_up
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_knowledge", __name__, url_prefix="/admin")
friendly_errors(bp)
MAX_QUERY = 1000


def _overview(tenant_id: int) -> list[dict]:
    return [
        {"site": sites.site_view(s), "runs": views.list_runs(tenant_id, s.id, limit=5)}
        for s in sites.list_sites(tenant_id)
    ]


def _site(tenant_id: int, site_id: int) -> dict:
    return sites.site_view(sites.get_site(tenant_id, site_id))


@bp.get("/knowledge")
@page("read")
async def runs(admin: Admin) -> Response:
    return await render(
        "knowledge.html", overview=await runtime().db.run(_overview, admin.tenant_id)
    )


@bp.get("/sites/<int:site_id>/crawls/<int:run_id>")
@page("read")
async def run(admin: Admin, site_id: int, run_id: int) -> Response:
    db = runtime().db
    site = await db.run(_site, admin.tenant_id, site_id)
    detail = await db.run(views.get_run, admin.tenant_id, site_id, run_id)
    return await render("crawl_run.html", site=site, run=detail)


@bp.get("/sites/<int:site_id>/pages")
@page("read")
async def pages(admin: Admin, site_id: int) -> Response:
    db = runtime().db
    site = await db.run(_site, admin.tenant_id, site_id)
    outcome = request.args.get("status") or None
    tenant_id = admin.member_of
    rows = await db.run(lambda: views.list_pages(tenant_id, site_id, status=outcome))
    # Not ``status``: render() takes that for the HTTP status.
    return await render("pages.html", site=site, pages=rows, outcome=outcome)


@bp.get("/sites/<int:site_id>/search")
@page("read")
async def search(admin: Admin, site_id: int) -> Response:
    rt = runtime()
    site = await rt.db.run(_site, admin.tenant_id, site_id)
    query = (request.args.get("q") or "").strip()
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"q: at most {MAX_QUERY} characters")
    passages, reply = [], None
    if query:
        found = await look_up(site_id, query, rt.knowledge.search)  # as a turn does
        reply = await _visitor_answer(site_id, query, found)
        cited = {(c["url"], c.get("anchor", "")) for c in reply["citations"]}
        passages = [
            {**p.__dict__, "rank": n, "used": (p.url, p.anchor or "") in cited}
            for n, p in enumerate(found, 1)
        ]
    return await render("search.html", site=site, query=query, passages=passages, reply=reply)


def _persona(site_id: int) -> Persona:
    return site_persona(serving.serving_options(Site.get_by_id(site_id)))


async def _visitor_answer(site_id: int, question: str, passages: list) -> dict:
    """What a visitor asking ``question`` gets from the built-in answerer, the same way a voice
    turn makes it: the answer over these passages, through the action catalog's gate."""
    persona = await runtime().db.run(_persona, site_id)
    reply = answerer.answer(question, passages, persona=persona)
    reply = await runtime().db.run(serving.vet, site_id, question, reply)
    if reply.covered:
        why = "answered from the site's pages"
    elif not passages:
        why = "declined: no page of the site matches the question"
    else:
        why = "declined: the closest passages do not answer it (a content gap)"
    return {
        "text": reply.text,
        "spoken": split_answer(reply.speech),
        "citations": reply.citations,
        "actions": reply.actions,
        "covered": reply.covered,
        "why": why,
    }


@bp.get("/sites/<int:site_id>/actions")
@page("read")
async def actions(admin: Admin, site_id: int) -> Response:
    db = runtime().db
    site = await db.run(_site, admin.tenant_id, site_id)
    tenant_id = admin.member_of
    rows = await db.run(
        lambda: [catalog.action_view(a) for a in catalog.list_actions(tenant_id, site_id)]
    )
    return await render("actions.html", site=site, actions=rows)


@bp.post("/sites/<int:site_id>/actions/<int:action_id>")
@page("write")
async def toggle_action(admin: Admin, site_id: int, action_id: int) -> WerkzeugResponse:
    enabled = (await request.form).get("enabled") == "1"
    rt = runtime()
    await rt.db.run(
        edits.set_action_enabled,
        admin.tenant_id,
        site_id,
        action_id,
        enabled,
        admin.email,
        rt.settings,
        rt.publisher.publish,
    )
    return redirect(url_for("admin_knowledge.actions", site_id=site_id), 303)
