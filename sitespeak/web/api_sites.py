"""``/api/v1/sites``: sites CRUD, crawls (start, list, per-page outcomes), pages and search."""

from __future__ import annotations

import functools
from typing import Any, Literal

from pydantic import Field, HttpUrl
from quart import Blueprint, Response, jsonify
from quart_schema import tag_blueprint, validate_request, validate_response

from sitespeak import sites
from sitespeak.crawl.refresh import request_crawl
from sitespeak.hosting import registry as hosting
from sitespeak.jobs import ledger
from sitespeak.knowledge import views
from sitespeak.sites import SiteScope
from sitespeak.web.auth import Caller, requires
from sitespeak.web.openapi import JobView, answers
from sitespeak.web.requests import RequestBody
from sitespeak.web.runtime import runtime

bp = Blueprint("sites", __name__, url_prefix="/api/v1/sites")
tag_blueprint(bp, ["sites"])
NAME_TAKEN = "The tenant already has a site of that name"


class SiteCreate(RequestBody, extra="forbid"):
    name: str = Field(..., min_length=1, max_length=200)
    start_urls: list[HttpUrl] = Field(..., min_length=1, max_length=20)
    scope: SiteScope = Field(default_factory=SiteScope)
    allowed_origins: list[HttpUrl] = Field(default_factory=list, max_length=50)
    schedule: Literal["never", "hourly", "daily", "weekly"] = "never"
    allow_private: bool = False


class SiteChange(RequestBody, extra="forbid"):
    name: str | None = Field(None, min_length=1, max_length=200)
    start_urls: list[HttpUrl] | None = Field(None, min_length=1, max_length=20)
    scope: dict[str, Any] | None = None
    allowed_origins: list[HttpUrl] | None = Field(None, max_length=50)
    schedule: Literal["never", "hourly", "daily", "weekly"] | None = None
    allow_private: bool | None = None


class SearchRequest(RequestBody, extra="forbid"):
    query: str = Field(..., min_length=1, max_length=1000)
    k: int = Field(5, ge=1, le=50)


def _create(tenant_id: int, body: SiteCreate) -> dict:
    site = sites.create_site(
        tenant_id,
        body.name,
        [str(u) for u in body.start_urls],
        body.allow_private,
        schedule=body.schedule,
        allowed_origins=[str(o) for o in body.allowed_origins],
        privileged=False,  # an API token is a tenant's, never the instance's
        **body.scope.model_dump(),
    )
    return sites.site_view(site)


@bp.post("")
@requires("write")
@answers(201, "The new site")
@answers(409, NAME_TAKEN)
@validate_request(SiteCreate)
async def create(caller: Caller, data: SiteCreate) -> tuple[Response, int]:
    """Create a site"""
    return jsonify(await runtime().db.run(_create, caller.tenant_id, data)), 201


@bp.get("")
@requires("read")
async def index(caller: Caller) -> Response:
    """List the tenant's sites"""
    found = await runtime().db.run(sites.list_sites, caller.tenant_id)
    return jsonify({"sites": [sites.site_view(s) for s in found]})


@bp.get("/<site_ref>")
@requires("read")
async def show(caller: Caller, site_ref: str) -> Response:
    """Read a site (by id or name)"""
    site = await runtime().db.run(sites.get_site, caller.tenant_id, site_ref)
    return jsonify(sites.site_view(site))


@bp.patch("/<site_ref>")
@requires("write")
@answers(409, NAME_TAKEN)
@validate_request(SiteChange)
async def change(caller: Caller, site_ref: str, data: SiteChange) -> Response:
    """Change a site"""
    rt = runtime()
    changes = data.model_dump(exclude_unset=True, mode="json")
    # An API token is a tenant's: it may keep or drop allow_private, never turn it on.
    site = await rt.db.run(
        functools.partial(sites.update_site, publish=rt.publisher.publish),
        caller.tenant_id,
        site_ref,
        **changes,
    )
    rt.site_keys.forget(site.id)  # this process at once; the others when the event reaches them
    return jsonify(sites.site_view(site))


@bp.delete("/<site_ref>")
@requires("write")
@answers(204, "Deleted, with its knowledge")
async def remove(caller: Caller, site_ref: str) -> Response:
    """Delete a site and its knowledge"""
    rt = runtime()
    site = await rt.db.run(sites.get_site, caller.tenant_id, site_ref)
    await rt.db.run(
        hosting.delete_site, rt.settings, caller.tenant_id, site.id, rt.publisher.publish
    )
    rt.knowledge.forget(site.id)
    rt.site_keys.forget(site.id)  # this process at once; the others when the event reaches them
    return Response(status=204)


@bp.post("/<site_ref>/crawls")
@requires("write")
@validate_response(JobView, 202)
@validate_response(JobView, 200)
async def start_crawl(caller: Caller, site_ref: str) -> tuple[dict, int]:
    """Start a crawl now (while one is open: that crawl's job, 200)"""
    rt = runtime()
    site = await rt.db.run(sites.get_site, caller.tenant_id, site_ref)
    job, created = await rt.db.run(
        request_crawl, rt.jobs, caller.tenant_id, site.id, by_person=True
    )
    return ledger.view(job), 202 if created else 200


@bp.get("/<site_ref>/crawls")
@requires("read")
async def crawls(caller: Caller, site_ref: str) -> Response:
    """Crawl runs of a site"""
    return jsonify({"crawls": await runtime().db.run(views.list_runs, caller.tenant_id, site_ref)})


@bp.get("/<site_ref>/crawls/<int:run_id>")
@requires("read")
async def crawl(caller: Caller, site_ref: str, run_id: int) -> Response:
    """One crawl run with per-page outcomes"""
    return jsonify(await runtime().db.run(views.get_run, caller.tenant_id, site_ref, run_id))


@bp.get("/<site_ref>/pages")
@requires("read")
async def pages(caller: Caller, site_ref: str) -> Response:
    """Pages of a site with their outcome"""
    return jsonify(
        {"pages": await runtime().db.run(views.list_pages, caller.tenant_id, site_ref, detail=True)}
    )


@bp.post("/<site_ref>/search")
@requires("read")
@validate_request(SearchRequest)
async def search(caller: Caller, site_ref: str, data: SearchRequest) -> Response:
    """Search a site's knowledge (passages with scores)"""
    rt = runtime()
    site = await rt.db.run(sites.get_site, caller.tenant_id, site_ref)
    cache = rt.knowledge
    found = await cache.search(site.id, data.query, data.k)
    return jsonify(
        {
            "query": data.query,
            "passages": [p.__dict__ for p in found],
            "knowledge_version": cache.cached_sites().get(site.id),
        }
    )
