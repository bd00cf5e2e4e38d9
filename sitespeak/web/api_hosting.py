"""``/api/v1/sites/{id}/uploads``, ``.../hosting/releases`` and ``.../hosting``: publishing a
static site to be served by this box, its releases and rollback, and its host names and purge
hooks.

The hosted site's releases were first at ``.../releases``, a name the assistant's releases
(``.../knowledge-releases``) share everywhere else. The old paths still answer as before, for
clients written against them, marked with the date they were deprecated (a ``Deprecation``
header, RFC 9745: a structured-field date, ``@`` and seconds since the epoch) and a ``Link`` to
their successor (RFC 8288), so a client learns of the move without losing a call."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from quart import Blueprint, Response, jsonify, request, url_for
from quart_schema import deprecate, tag_blueprint, validate_request, validate_response

from sitespeak import sites
from sitespeak.events.bus import Publish
from sitespeak.hosting import publish, purge, registry
from sitespeak.hosting.jobs import PUBLISH, ROLLBACK
from sitespeak.hosting.models import HostedRelease
from sitespeak.jobs import ledger
from sitespeak.jobs.context import Submitter
from sitespeak.settings import Settings
from sitespeak.web.auth import Caller, requires
from sitespeak.web.openapi import JobView, answers
from sitespeak.web.requests import RequestBody
from sitespeak.web.runtime import runtime
from sitespeak.web.uploads import receive_upload

bp = Blueprint("hosting", __name__, url_prefix="/api/v1/sites")
tag_blueprint(bp, ["hosting"])


class HostingChange(RequestBody, extra="forbid"):
    hostnames: list[str] | None = Field(None, max_length=20, description="custom host names")
    purge_hooks: list[str] | None = Field(
        None, max_length=10, description="URLs POSTed the changed paths after each switch"
    )
    keep_releases: int | None = Field(None, ge=1, le=100)
    embed_position: Literal["head-end", "body-end"] | None = None


class ReleaseJob(BaseModel):
    release: dict[str, Any]
    job: JobView


def _submit(jobs: Submitter, tenant_id: int, name: str, release: HostedRelease) -> dict:
    job, _ = jobs.submit(
        tenant_id, name, {"site_id": release.site_id, "release": release.number}, queue="critical"
    )
    return {"release": publish.release_view(release), "job": ledger.view(job)}


@bp.post("/<site_ref>/uploads")
@requires("write")
@answers(413, "Larger than SITESPEAK_HOSTED_MAX_UPLOAD_BYTES")
@validate_response(ReleaseJob, 202)
async def upload(caller: Caller, site_ref: str) -> tuple[dict, int]:
    """Publish a static site (an archive: zip, tar or tar.gz), built on the critical queue

    Send the archive as the body, or as the form field `file`."""
    rt = runtime()
    site = await rt.db.run(sites.get_site, caller.tenant_id, site_ref)  # 404 before reading
    path, filename = await receive_upload(rt.settings)
    release = await rt.db.run(
        publish.accept_upload, caller.tenant_id, site.id, path, filename, caller.tenant_name
    )
    return await rt.db.run(_submit, rt.jobs, caller.tenant_id, PUBLISH, release), 202


async def _releases(caller: Caller, site_ref: str) -> Response:
    found = await runtime().db.run(publish.list_releases, caller.tenant_id, site_ref)
    return jsonify({"releases": [publish.release_view(r) for r in found]})


async def _rollback(caller: Caller, site_ref: str, number: int) -> tuple[dict, int]:
    rt = runtime()
    release = await rt.db.run(publish.get_release, caller.tenant_id, site_ref, number)
    return await rt.db.run(_submit, rt.jobs, caller.tenant_id, ROLLBACK, release), 202


@bp.get("/<site_ref>/hosting/releases")
@requires("read")
async def releases(caller: Caller, site_ref: str) -> Response:
    """Releases of a hosted site, newest first"""
    return await _releases(caller, site_ref)


@bp.post("/<site_ref>/hosting/releases/<int:number>/rollback")
@requires("write")
@validate_response(ReleaseJob, 202)
async def rollback(caller: Caller, site_ref: str, number: int) -> tuple[dict, int]:
    """Make a kept release live again (a job)"""
    return await _rollback(caller, site_ref, number)


@bp.get("/<site_ref>/releases")
@deprecate
@requires("read")
async def releases_at_old_path(caller: Caller, site_ref: str) -> Response:
    """Releases of a hosted site (deprecated: GET .../hosting/releases)"""
    return await _releases(caller, site_ref)


@bp.post("/<site_ref>/releases/<int:number>/rollback")
@deprecate
@requires("write")
@validate_response(ReleaseJob, 202)
async def rollback_at_old_path(caller: Caller, site_ref: str, number: int) -> tuple[dict, int]:
    """Make a kept release live again (deprecated: POST .../hosting/releases/{n}/rollback)"""
    return await _rollback(caller, site_ref, number)


# 2026-12-03T00:00:00Z, when the hosted site's releases moved under ``.../hosting``.
DEPRECATED_SINCE = "@1796256000"
# Each old path's view, and the view that took its place (same arguments).
_SUCCESSORS = {
    "hosting.releases_at_old_path": "hosting.releases",
    "hosting.rollback_at_old_path": "hosting.rollback",
}


@bp.after_request
async def _mark_deprecated(response: Response) -> Response:
    """Every answer of an old path (errors too) names the path to use instead."""
    successor = _SUCCESSORS.get(request.endpoint or "")
    if successor is not None:
        response.headers["Deprecation"] = DEPRECATED_SINCE
        path = url_for(successor, **(request.view_args or {}))
        response.headers["Link"] = f'<{path}>; rel="successor-version"'
    return response


def _hosting_view(tenant_id: int, site_ref: str, settings: Settings) -> dict:
    site = sites.get_site(tenant_id, site_ref)
    hosted = registry.find(site)
    return registry.view(hosted, settings) if hosted else {"site_id": site.id, "hosted": False}


def _change(
    tenant_id: int, site_ref: str, body: HostingChange, settings: Settings, events: Publish
) -> dict:
    hosted = registry.enable(tenant_id, site_ref)
    if body.hostnames is not None:
        registry.set_hostnames(hosted, body.hostnames, settings)
        if publish.live_manifest(settings, hosted.site_id) is not None:
            registry.link_hosts(hosted, settings, events)
    if body.purge_hooks is not None:
        purge.set_hooks(hosted, body.purge_hooks)
    if body.keep_releases is not None:
        hosted.keep_releases = body.keep_releases
    if body.embed_position is not None:
        hosted.embed_position = body.embed_position
    hosted.save()
    return registry.view(hosted, settings)


@bp.get("/<site_ref>/hosting")
@requires("read")
async def hosting(caller: Caller, site_ref: str) -> Response:
    """A site's hosting: host names, purge hooks and their last results"""
    rt = runtime()
    return jsonify(await rt.db.run(_hosting_view, caller.tenant_id, site_ref, rt.settings))


@bp.patch("/<site_ref>/hosting")
@requires("write")
@validate_request(HostingChange)
async def change_hosting(caller: Caller, site_ref: str, data: HostingChange) -> Response:
    """Change a site's host names, purge hooks, kept releases or embed position"""
    rt = runtime()
    events = rt.publisher.publish
    return jsonify(await rt.db.run(_change, caller.tenant_id, site_ref, data, rt.settings, events))
