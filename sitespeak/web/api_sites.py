"""``/api/v1/sites``: sites CRUD, crawls (start, list, per-page outcomes), pages and search."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, HttpUrl
from quart import Blueprint, Response, jsonify

from sitespeak import sites
from sitespeak.crawl.refresh import request_crawl
from sitespeak.hosting import registry as hosting
from sitespeak.jobs import ledger
from sitespeak.knowledge import views
from sitespeak.sites import SiteScope
from sitespeak.web.auth import api_caller
from sitespeak.web.requests import RequestBody, body_as
from sitespeak.web.runtime import runtime

bp = Blueprint("sites", __name__, url_prefix="/api/v1/sites")


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
async def create() -> tuple[Response, int]:
    caller = await api_caller("write")
    body = await body_as(SiteCreate)
    return jsonify(await runtime().db.run(_create, caller.tenant_id, body)), 201


@bp.get("")
async def index() -> Response:
    caller = await api_caller("read")
    found = await runtime().db.run(sites.list_sites, caller.tenant_id)
    return jsonify({"sites": [sites.site_view(s) for s in found]})


@bp.get("/<site_ref>")
async def show(site_ref: str) -> Response:
    caller = await api_caller("read")
    site = await runtime().db.run(sites.get_site, caller.tenant_id, site_ref)
    return jsonify(sites.site_view(site))


@bp.patch("/<site_ref>")
async def change(site_ref: str) -> Response:
    caller = await api_caller("write")
    body = await body_as(SiteChange)
    changes = body.model_dump(exclude_unset=True, mode="json")
    # An API token is a tenant's: it may keep or drop allow_private, never turn it on.
    site = await runtime().db.run(sites.update_site, caller.tenant_id, site_ref, **changes)
    return jsonify(sites.site_view(site))


@bp.delete("/<site_ref>")
async def remove(site_ref: str) -> Response:
    caller = await api_caller("write")
    site = await runtime().db.run(sites.get_site, caller.tenant_id, site_ref)
    await runtime().db.run(hosting.delete_site, runtime().settings, caller.tenant_id, site.id)
    runtime().knowledge.forget(site.id)
    return Response(status=204)


@bp.post("/<site_ref>/crawls")
async def start_crawl(site_ref: str) -> tuple[Response, int]:
    """Recrawl now. While a crawl of the site is open, the same job is returned (200)."""
    caller = await api_caller("write")
    rt = runtime()
    site = await rt.db.run(sites.get_site, caller.tenant_id, site_ref)
    job, created = await rt.db.run(
        request_crawl, rt.jobs, caller.tenant_id, site.id, by_person=True
    )
    return jsonify(ledger.view(job)), 202 if created else 200


@bp.get("/<site_ref>/crawls")
async def crawls(site_ref: str) -> Response:
    caller = await api_caller("read")
    return jsonify({"crawls": await runtime().db.run(views.list_runs, caller.tenant_id, site_ref)})


@bp.get("/<site_ref>/crawls/<int:run_id>")
async def crawl(site_ref: str, run_id: int) -> Response:
    caller = await api_caller("read")
    return jsonify(await runtime().db.run(views.get_run, caller.tenant_id, site_ref, run_id))


@bp.get("/<site_ref>/pages")
async def pages(site_ref: str) -> Response:
    caller = await api_caller("read")
    return jsonify(
        {"pages": await runtime().db.run(views.list_pages, caller.tenant_id, site_ref, detail=True)}
    )


@bp.post("/<site_ref>/search")
async def search(site_ref: str) -> Response:
    caller = await api_caller("read")
    body = await body_as(SearchRequest)
    rt = runtime()
    site = await rt.db.run(sites.get_site, caller.tenant_id, site_ref)
    cache = rt.knowledge
    found = await cache.search(site.id, body.query, body.k)
    return jsonify(
        {
            "query": body.query,
            "passages": [p.__dict__ for p in found],
            "knowledge_version": cache.cached_sites().get(site.id),
        }
    )
