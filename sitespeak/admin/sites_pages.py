"""Sites: list, create, edit, delete, start a crawl; the publishable key and embed snippet."""

from __future__ import annotations

from quart import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers.response import Response as WerkzeugResponse  # what redirect() returns

from sitespeak import sites
from sitespeak.admin.context import Admin, page
from sitespeak.admin.forms import SiteForm
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.crawl import diagnosis
from sitespeak.crawl.refresh import request_crawl
from sitespeak.crawl.title import site_name
from sitespeak.events.bus import Publish
from sitespeak.hosting import registry as hosting
from sitespeak.knowledge import views
from sitespeak.releases import edits
from sitespeak.settings import Settings
from sitespeak.sites import voice_options
from sitespeak.sites.registry import origin_of
from sitespeak.voice import conversations
from sitespeak.web.runtime import runtime

bp = Blueprint("admin_sites", __name__, url_prefix="/admin")
friendly_errors(bp)
PROVIDER_FIELDS = (
    "stt",
    "answerer",
    "tts",
    "base_url",
    "chat_model",
    "stt_model",
    "tts_model",
    "voice",
)


def embed_snippet(base_url: str, key: str) -> str:
    return f'<script src="{base_url}/widget.js" data-site-key="{key}" async></script>'


def _create(tenant_id: int, form: SiteForm, superuser: bool, settings: Settings) -> int:
    # Before the probe: it would otherwise tell a tenant which private ports are open.
    sites.check_private_permission(form.allow_private, False, superuser)
    diagnosis.check_start_urls([str(u) for u in form.start_urls], form.allow_private)
    # Only the URL is asked for: the name comes from the start page's title unless given.
    name = form.name or site_name(str(form.start_urls[0]), form.allow_private, settings)
    site = sites.create_site(
        tenant_id,
        name,
        [str(u) for u in form.start_urls],
        form.allow_private,
        schedule=form.schedule,
        allowed_origins=[str(o) for o in form.allowed_origins],
        privileged=superuser,
        **form.scope(),
    )
    return site.id


def _update(
    tenant_id: int, site_id: int, form: SiteForm, superuser: bool, publish: Publish
) -> None:
    current = sites.get_site(tenant_id, site_id).allow_private
    # A tenant's form has no such box (a superuser or the operator decides): keep what is set,
    # and refuse a hand-made form that asks for it.
    allow_private = form.allow_private if superuser else (current or form.allow_private)
    sites.check_private_permission(allow_private, current, superuser)
    diagnosis.check_start_urls([str(u) for u in form.start_urls], allow_private)
    sites.update_site(
        tenant_id,
        site_id,
        publish=publish,
        privileged=superuser,
        name=form.name or sites.get_site(tenant_id, site_id).name,
        start_urls=[str(u) for u in form.start_urls],
        allowed_origins=[str(o) for o in form.allowed_origins],
        schedule=form.schedule,
        allow_private=allow_private,
        scope=form.scope(),
    )


def _listing(tenant_id: int) -> list[dict]:
    rows = []
    for site in sites.list_sites(tenant_id):
        runs = views.list_runs(tenant_id, site.id, limit=1)
        rows.append({**sites.site_view(site), "last_run": runs[0] if runs else None})
    return rows


def _detail(tenant_id: int, site_id: int, own_origin: str = "") -> dict:
    site = sites.get_site(tenant_id, site_id)
    crawled = sorted({origin_of(u) for u in site.start_urls})
    # Where the widget really runs: on another address than the crawled one it can only offer
    # links (it acts on pages of its own origin), and the owner should know why.
    seen = conversations.page_origins(tenant_id, site.id)
    return {
        "site": sites.site_view(site),
        "runs": views.list_runs(tenant_id, site.id, limit=10),
        "voice": voice_options.voice_options(site),
        "crawled_origins": crawled,
        "elsewhere": [o for o in seen if o not in crawled and o != own_origin],
    }


def _voice_form(form) -> voice_options.VoiceOptions:
    # An empty choice means "use the instance's setting": it is left out, not stored as "".
    providers = {key: form.get(key) for key in PROVIDER_FIELDS if form.get(key)}
    if form.get("realtime") == "on":
        providers["realtime"] = True
    return voice_options.parse(
        {
            "greeting": (form.get("greeting") or "").strip(),
            "persona": (form.get("persona") or "").strip(),
            "providers": providers,
            "ack_sound": form.get("ack_sound") == "on",
        }
    )


@bp.get("/sites")
@page("read")
async def sites_index(admin: Admin) -> Response:
    rows = await runtime().db.run(_listing, admin.tenant_id)
    return await render("sites.html", sites=rows)


@bp.post("/sites")
@page("write")
async def create(admin: Admin) -> WerkzeugResponse:
    rt = runtime()
    form = SiteForm.from_form(await request.form)
    site_id = await rt.db.run(_create, admin.tenant_id, form, admin.superuser, rt.settings)
    # Saving is asking for the first crawl: the site page shows its progress.
    job, _ = await rt.db.run(request_crawl, rt.jobs, admin.tenant_id, site_id, by_person=True)
    return redirect(url_for("admin_sites.show", site_id=site_id, crawl=str(job.id)), 303)


@bp.get("/sites/<int:site_id>")
@page("read")
async def show(admin: Admin, site_id: int) -> Response:
    rt = runtime()
    own = origin_of(rt.settings.base_url)  # the try-it page runs on this box
    data = await rt.db.run(_detail, admin.tenant_id, site_id, own)
    snippet = embed_snippet(rt.settings.base_url, data["site"]["key"])
    return await render("site.html", snippet=snippet, **data)


@bp.post("/sites/<int:site_id>")
@page("write")
async def update(admin: Admin, site_id: int) -> WerkzeugResponse:
    rt = runtime()
    await rt.db.run(sites.get_site, admin.tenant_id, site_id)  # someone else's site: 404 first
    form = SiteForm.from_form(await request.form)
    publish = rt.publisher.publish
    await rt.db.run(_update, admin.tenant_id, site_id, form, admin.superuser, publish)
    rt.site_keys.forget(site_id)  # this process at once; the others when the event reaches them
    return redirect(url_for("admin_sites.show", site_id=site_id, saved=1), 303)


@bp.post("/sites/<int:site_id>/voice")
@page("write")
async def update_voice(admin: Admin, site_id: int) -> WerkzeugResponse:
    db = runtime().db
    await db.run(sites.get_site, admin.tenant_id, site_id)  # someone else's site: 404 first
    options = _voice_form(await request.form)
    rt = runtime()
    await db.run(
        edits.set_voice_options,
        admin.tenant_id,
        site_id,
        options,
        admin.email,
        rt.settings,
        rt.publisher.publish,
    )
    return redirect(url_for("admin_sites.show", site_id=site_id, saved=1), 303)


@bp.post("/sites/<int:site_id>/delete")
@page("write")
async def delete(admin: Admin, site_id: int) -> WerkzeugResponse:
    rt = runtime()
    await rt.db.run(
        hosting.delete_site, rt.settings, admin.tenant_id, site_id, rt.publisher.publish
    )
    rt.knowledge.forget(site_id)
    rt.site_keys.forget(site_id)  # this process at once; the others when the event reaches them
    return redirect(url_for("admin_sites.sites_index"), 303)


@bp.post("/sites/<int:site_id>/crawl")
@page("write")
async def crawl(admin: Admin, site_id: int) -> WerkzeugResponse:
    rt = runtime()
    site = await rt.db.run(sites.get_site, admin.tenant_id, site_id)
    job, _ = await rt.db.run(request_crawl, rt.jobs, admin.tenant_id, site.id, by_person=True)
    return redirect(url_for("admin_sites.show", site_id=site.id, crawl=str(job.id)), 303)
