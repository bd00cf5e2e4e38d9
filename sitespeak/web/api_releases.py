"""``/api/v1/sites/<id>/knowledge-releases``: the releases of a site's assistant (not the hosted
site's file releases of ``api_hosting``); publish, roll back or discard one, each a job on the
critical queue answered 202 with its ledger row."""

from __future__ import annotations

from pydantic import Field
from quart import Blueprint, Response, jsonify
from quart_schema import tag_blueprint, validate_request, validate_response

from sitespeak import sites
from sitespeak.jobs import ledger
from sitespeak.releases import candidates, jobs, pausing, switch
from sitespeak.releases.views import release_view
from sitespeak.web.auth import Caller, requires
from sitespeak.web.openapi import JobView, answers
from sitespeak.web.requests import RequestBody
from sitespeak.web.runtime import runtime

bp = Blueprint(
    "knowledge_releases", __name__, url_prefix="/api/v1/sites/<site_ref>/knowledge-releases"
)
tag_blueprint(bp, ["releases"])
NOT_NOW = "The release is in no state to take this action (e.g. already live)"


class ReviewChange(RequestBody, extra="forbid"):
    every_release: bool = Field(
        ..., description="Hold every candidate for review, even one the safety gate would pass."
    )


def _history(tenant_id: int, site_ref: str) -> dict:
    site = sites.get_site(tenant_id, site_ref)
    return {
        "site_id": site.id,
        "review_every_release": candidates.reviews_every_release(site),
        # Set by a rollback: every candidate waits for review until a publish or a resume.
        "publishing_paused": pausing.paused(site),
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
@requires("read")
async def index(caller: Caller, site_ref: str) -> Response:
    """A site's releases, newest first (state, stats, diff, why held)"""
    return jsonify(await runtime().db.run(_history, caller.tenant_id, site_ref))


@bp.put("/review")
@requires("write")
@validate_request(ReviewChange)
async def review(caller: Caller, site_ref: str, data: ReviewChange) -> Response:
    """Hold every candidate of the site for review (or only what the gate holds)"""
    return jsonify(
        await runtime().db.run(_set_review, caller.tenant_id, site_ref, data.every_release)
    )


def _resume(tenant_id: int, site_ref: str) -> dict:
    site = sites.get_site(tenant_id, site_ref)
    candidates.resume_publishing(tenant_id, site.id)
    return _history(tenant_id, site_ref)


@bp.post("/resume")
@requires("write")
async def resume(caller: Caller, site_ref: str) -> Response:
    """Let the safety gate publish by itself again after a rollback paused it"""
    return jsonify(await runtime().db.run(_resume, caller.tenant_id, site_ref))


@bp.get("/<int:number>")
@requires("read")
async def show(caller: Caller, site_ref: str, number: int) -> Response:
    """One release with its diff"""
    return jsonify(await runtime().db.run(_one, caller.tenant_id, site_ref, number))


async def _switch(caller: Caller, site_ref: str, number: int, action: str) -> tuple[dict, int]:
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
    return ledger.view(job), 202


@bp.post("/<int:number>/publish")
@requires("write")
@answers(409, NOT_NOW)
@validate_response(JobView, 202)
async def publish(caller: Caller, site_ref: str, number: int) -> tuple[dict, int]:
    """Publish a candidate (a job on the critical queue)"""
    return await _switch(caller, site_ref, number, "publish")


@bp.post("/<int:number>/rollback")
@requires("write")
@answers(409, NOT_NOW)
@validate_response(JobView, 202)
async def rollback(caller: Caller, site_ref: str, number: int) -> tuple[dict, int]:
    """Make a kept earlier release live again (a job on the critical queue)"""
    return await _switch(caller, site_ref, number, "rollback")


@bp.post("/<int:number>/discard")
@requires("write")
@answers(409, NOT_NOW)
@validate_response(JobView, 202)
async def discard(caller: Caller, site_ref: str, number: int) -> tuple[dict, int]:
    """Discard a candidate (a job on the critical queue)"""
    return await _switch(caller, site_ref, number, "discard")
