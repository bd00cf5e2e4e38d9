"""``/api/v1/sites/{id}/uploads``, ``.../releases`` and ``.../hosting``: publishing a static site
to be served by this box, its releases and rollback, and its host names and purge hooks."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from quart import Blueprint, Response, jsonify
from quart.typing import ResponseReturnValue

from sitespeak import sites
from sitespeak.hosting import publish, purge, registry
from sitespeak.hosting.jobs import PUBLISH, ROLLBACK
from sitespeak.hosting.models import HostedRelease
from sitespeak.jobs import ledger
from sitespeak.jobs.context import Submitter
from sitespeak.settings import Settings
from sitespeak.web.auth import api_caller
from sitespeak.web.openapi import api_doc
from sitespeak.web.requests import RequestBody, body_as
from sitespeak.web.runtime import runtime
from sitespeak.web.uploads import receive_upload

bp = Blueprint("hosting", __name__, url_prefix="/api/v1/sites")


class HostingChange(RequestBody, extra="forbid"):
    hostnames: list[str] | None = Field(None, max_length=20, description="custom host names")
    purge_hooks: list[str] | None = Field(
        None, max_length=10, description="URLs POSTed the changed paths after each switch"
    )
    keep_releases: int | None = Field(None, ge=1, le=100)
    embed_position: Literal["head-end", "body-end"] | None = None


def _submit(jobs: Submitter, tenant_id: int, name: str, release: HostedRelease) -> dict:
    job, _ = jobs.submit(
        tenant_id, name, {"site_id": release.site_id, "release": release.number}, queue="critical"
    )
    return {"release": publish.release_view(release), "job": ledger.view(job)}


@bp.post("/<site_ref>/uploads")
@api_doc(
    "Publish a static site: an archive as the body (or form field `file`); builds on the "
    "critical queue",
    scope="write",
    status=202,
    tags=("hosting",),
    errors={413: "larger than SITESPEAK_HOSTED_MAX_UPLOAD_BYTES"},
)
async def upload(site_ref: str) -> ResponseReturnValue:
    """Publish an archive (zip, tar, tar.gz) sent as the body or as the form field ``file``."""
    caller = await api_caller("write")
    rt = runtime()
    site = await rt.db.run(sites.get_site, caller.tenant_id, site_ref)  # 404 before reading
    path, filename = await receive_upload(rt.settings)
    release = await rt.db.run(
        publish.accept_upload, caller.tenant_id, site.id, path, filename, caller.tenant_name
    )
    return jsonify(await rt.db.run(_submit, rt.jobs, caller.tenant_id, PUBLISH, release)), 202


@bp.get("/<site_ref>/releases")
@api_doc("Releases of a hosted site, newest first", tags=("hosting",))
async def releases(site_ref: str) -> Response:
    caller = await api_caller("read")
    found = await runtime().db.run(publish.list_releases, caller.tenant_id, site_ref)
    return jsonify({"releases": [publish.release_view(r) for r in found]})


@bp.post("/<site_ref>/releases/<int:number>/rollback")
@api_doc("Make a kept release live again (a job)", scope="write", status=202, tags=("hosting",))
async def rollback(site_ref: str, number: int) -> ResponseReturnValue:
    caller = await api_caller("write")
    rt = runtime()
    release = await rt.db.run(publish.get_release, caller.tenant_id, site_ref, number)
    return jsonify(await rt.db.run(_submit, rt.jobs, caller.tenant_id, ROLLBACK, release)), 202


def _hosting_view(tenant_id: int, site_ref: str, settings: Settings) -> dict:
    site = sites.get_site(tenant_id, site_ref)
    hosted = registry.find(site)
    return registry.view(hosted, settings) if hosted else {"site_id": site.id, "hosted": False}


def _change(tenant_id: int, site_ref: str, body: HostingChange, settings: Settings) -> dict:
    hosted = registry.enable(tenant_id, site_ref)
    if body.hostnames is not None:
        registry.set_hostnames(hosted, body.hostnames, settings)
        if publish.live_manifest(settings, hosted.site_id) is not None:
            registry.link_hosts(hosted, settings)
    if body.purge_hooks is not None:
        purge.set_hooks(hosted, body.purge_hooks)
    if body.keep_releases is not None:
        hosted.keep_releases = body.keep_releases
    if body.embed_position is not None:
        hosted.embed_position = body.embed_position
    hosted.save()
    return registry.view(hosted, settings)


@bp.get("/<site_ref>/hosting")
@api_doc("A site's hosting: host names, purge hooks and their last results", tags=("hosting",))
async def hosting(site_ref: str) -> Response:
    caller = await api_caller("read")
    rt = runtime()
    return jsonify(await rt.db.run(_hosting_view, caller.tenant_id, site_ref, rt.settings))


@bp.patch("/<site_ref>/hosting")
@api_doc(
    "Change a site's host names, purge hooks, kept releases or embed position",
    body=HostingChange,
    scope="write",
    tags=("hosting",),
)
async def change_hosting(site_ref: str) -> Response:
    caller = await api_caller("write")
    body = await body_as(HostingChange)
    rt = runtime()
    return jsonify(await rt.db.run(_change, caller.tenant_id, site_ref, body, rt.settings))
