"""``/api/v1/sites/<id>/knowledge-releases``: the releases of a site's assistant (not the hosted
site's file releases of ``api_hosting``); publish, roll back or discard one, each a job on the
critical queue answered 202 with its ledger row."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import Field
from quart import Blueprint, Response, jsonify

from sitespeak import sites
from sitespeak.jobs import ledger
from sitespeak.releases import candidates, jobs, switch
from sitespeak.releases.views import release_view
from sitespeak.web.auth import api_caller
from sitespeak.web.openapi import JobView, api_doc
from sitespeak.web.requests import RequestBody, body_as
from sitespeak.web.runtime import runtime

bp = Blueprint(
    "knowledge_releases", __name__, url_prefix="/api/v1/sites/<site_ref>/knowledge-releases"
)
NOT_NOW = {409: "The release is in no state to take this action (e.g. already live)"}


class ReviewChange(RequestBody, extra="forbid"):
    every_release: bool = Field(
        ..., description="Hold every candidate for review, even one the safety gate would pass."
    )


def _history(tenant_id: int, site_ref: str) -> dict:
    site = sites.get_site(tenant_id, site_ref)
    return {
        "site_id": site.id,
        "review_every_release": candidates.reviews_every_release(site),
        "releases": [release_view(r) for r in switch.list_releases(tenant_id, site.id)],
    }


def _one(tenant_id: int, site_ref: str, number: int) -> dict:
    site = sites.get_site(tenant_id, site_ref)
    return release_view(switch.get_release(tenant_id, site.id, number))


def _set_review(tenant_id: int, site_ref: str, on: bool) -> dict:
    site = sites.get_site(tenant_id, site_ref)
    candidates.set_review_every_release(tenant_id, site.id, on)
    return _history(tenant_id, site_ref)


@bp.get("")
@api_doc("A site's releases, newest first (state, stats, diff, why held)", tags=("releases",))
async def index(site_ref: str) -> Response:
    caller = await api_caller("read")
    return jsonify(await runtime().db.run(_history, caller.tenant_id, site_ref))


@bp.put("/review")
@api_doc(
    "Hold every candidate of the site for review (or only what the gate holds)",
    body=ReviewChange,
    scope="write",
    tags=("releases",),
)
async def review(site_ref: str) -> Response:
    caller = await api_caller("write")
    body = await body_as(ReviewChange)
    return jsonify(
        await runtime().db.run(_set_review, caller.tenant_id, site_ref, body.every_release)
    )


@bp.get("/<int:number>")
@api_doc("One release with its diff", tags=("releases",))
async def show(site_ref: str, number: int) -> Response:
    caller = await api_caller("read")
    return jsonify(await runtime().db.run(_one, caller.tenant_id, site_ref, number))


async def _switch(site_ref: str, number: int, action: str) -> tuple[Response, int]:
    caller = await api_caller("write")
    rt = runtime()
    job = await rt.db.run(
        jobs.request_switch,
        rt.jobs,
        caller.tenant_id,
        site_ref,
        number,
        action,
        f"API token ({caller.tenant_name})",
    )
    return jsonify(ledger.view(job)), 202


def _switch_doc(summary: str) -> Callable:
    return api_doc(
        summary, response=JobView, scope="write", status=202, errors=NOT_NOW, tags=("releases",)
    )


@bp.post("/<int:number>/publish")
@_switch_doc("Publish a candidate (a job on the critical queue)")
async def publish(site_ref: str, number: int) -> tuple[Response, int]:
    return await _switch(site_ref, number, "publish")


@bp.post("/<int:number>/rollback")
@_switch_doc("Make a kept earlier release live again (a job on the critical queue)")
async def rollback(site_ref: str, number: int) -> tuple[Response, int]:
    return await _switch(site_ref, number, "rollback")


@bp.post("/<int:number>/discard")
@_switch_doc("Discard a candidate (a job on the critical queue)")
async def discard(site_ref: str, number: int) -> tuple[Response, int]:
    return await _switch(site_ref, number, "discard")
