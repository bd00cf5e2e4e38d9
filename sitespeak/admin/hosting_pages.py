"""A site's hosting page: upload a static site for this box to serve, its releases with a
rollback button per kept one, its host names, and how publishing went."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, redirect, request, url_for
from quart.typing import ResponseReturnValue

from sitespeak import sites
from sitespeak.admin.context import Admin, page
from sitespeak.admin.rendering import friendly_errors, render
from sitespeak.events.bus import Publish
from sitespeak.hosting import publish, purge, registry
from sitespeak.hosting.jobs import PUBLISH, ROLLBACK
from sitespeak.jobs.context import Submitter
from sitespeak.settings import Settings
from sitespeak.web.runtime import runtime
from sitespeak.web.uploads import receive_upload

bp = Blueprint("admin_hosting", __name__, url_prefix="/admin")
friendly_errors(bp)


def _page(tenant_id: int, site_id: int, settings: Settings) -> dict[str, Any]:
    site = sites.get_site(tenant_id, site_id)
    hosted = registry.find(site)
    return {
        "site": sites.site_view(site),
        "hosting": registry.view(hosted, settings) if hosted else None,
        "releases": [publish.release_view(r) for r in publish.list_releases(tenant_id, site.id)],
        "domain": settings.hosted_sites_domain,
        "max_upload": settings.hosted_max_upload_bytes,
    }


def _submit(jobs: Submitter, tenant_id: int, name: str, site_id: int, number: int) -> str:
    job, _ = jobs.submit(tenant_id, name, {"site_id": site_id, "release": number}, queue="critical")
    return str(job.id)


def _set_hostnames(
    tenant_id: int, site_id: int, text: str, settings: Settings, events: Publish
) -> None:
    hosted = registry.enable(tenant_id, site_id)
    registry.set_hostnames(hosted, text.replace(",", " ").split(), settings)
    if publish.live_manifest(settings, hosted.site_id) is not None:
        registry.link_hosts(hosted, settings, events)


def _set_hooks(tenant_id: int, site_id: int, text: str) -> None:
    purge.set_hooks(registry.enable(tenant_id, site_id), text.split())


@bp.post("/sites/<int:site_id>/hosting/hooks")
@page("write")
async def hooks(admin: Admin, site_id: int) -> ResponseReturnValue:
    rt = runtime()
    text = (await request.form).get("hooks") or ""
    await rt.db.run(_set_hooks, admin.tenant_id, site_id, text)
    return redirect(url_for("admin_hosting.hosting", site_id=site_id, saved=1), 303)


@bp.get("/sites/<int:site_id>/hosting")
@page("read")
async def hosting(admin: Admin, site_id: int) -> Response:
    rt = runtime()
    data = await rt.db.run(_page, admin.tenant_id, site_id, rt.settings)
    return await render("hosting.html", job=request.args.get("job", ""), **data)


@bp.post("/sites/<int:site_id>/hosting/upload")
@page("write")
async def upload(admin: Admin, site_id: int) -> ResponseReturnValue:
    rt = runtime()
    await rt.db.run(sites.get_site, admin.tenant_id, site_id)  # someone else's site: 404 first
    path, filename = await receive_upload(rt.settings)
    release = await rt.db.run(
        publish.accept_upload, admin.tenant_id, site_id, path, filename, admin.email
    )
    job = await rt.db.run(_submit, rt.jobs, admin.tenant_id, PUBLISH, site_id, release.number)
    return redirect(url_for("admin_hosting.hosting", site_id=site_id, job=job), 303)


@bp.post("/sites/<int:site_id>/hosting/releases/<int:number>/rollback")
@page("write")
async def rollback(admin: Admin, site_id: int, number: int) -> ResponseReturnValue:
    rt = runtime()
    await rt.db.run(publish.get_release, admin.tenant_id, site_id, number)
    job = await rt.db.run(_submit, rt.jobs, admin.tenant_id, ROLLBACK, site_id, number)
    return redirect(url_for("admin_hosting.hosting", site_id=site_id, job=job), 303)


@bp.post("/sites/<int:site_id>/hosting/hostnames")
@page("write")
async def hostnames(admin: Admin, site_id: int) -> ResponseReturnValue:
    rt = runtime()
    text = (await request.form).get("hostnames") or ""
    events = rt.publisher.publish
    await rt.db.run(_set_hostnames, admin.tenant_id, site_id, text, rt.settings, events)
    return redirect(url_for("admin_hosting.hosting", site_id=site_id, saved=1), 303)
