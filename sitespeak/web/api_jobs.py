"""``/api/v1/jobs``: submit a job to a queue and read its ledger row.

Only the kinds a tenant may submit are accepted (the others are started by the routes that own
them, e.g. a site's crawls), and their arguments are checked against the caller's tenant before
a row is written: a site id of another tenant is a 404, as it is everywhere else."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from quart import Blueprint, has_app_context, request
from quart_schema import tag_blueprint, validate_request, validate_response

from sitespeak.jobs import ledger
from sitespeak.settings import QUEUES
from sitespeak.web.auth import Caller, requires
from sitespeak.web.openapi import JobView
from sitespeak.web.requests import RequestBody
from sitespeak.web.runtime import runtime

bp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")
tag_blueprint(bp, ["jobs"])


def _public_names(schema: dict[str, Any]) -> None:
    """The document lists the kinds a tenant may submit: the job registry's public ones."""
    if has_app_context():
        schema["enum"] = runtime().jobs.registry.public_names()


class JobRequest(RequestBody, extra="forbid"):
    queue: str | None = Field(None, description="One of: " + ", ".join(QUEUES))
    name: str = Field(..., min_length=1, max_length=100, json_schema_extra=_public_names)
    args: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


@bp.post("")
@requires("write")
@validate_request(JobRequest)
@validate_response(JobView, 201)
@validate_response(JobView, 200)
async def submit(caller: Caller, data: JobRequest) -> tuple[dict, int]:
    """Submit a job to a queue (the same idempotency key twice: the first job, 200)"""
    key = data.idempotency_key or request.headers.get("Idempotency-Key")
    rt = runtime()
    kind = rt.jobs.registry.get_public(data.name)
    args = await rt.db.run(kind.validate, caller.tenant_id, data.args)
    job, created = await rt.db.run(
        rt.jobs.submit,
        caller.tenant_id,
        data.name,
        args.model_dump(mode="json"),
        queue=data.queue,
        idempotency_key=key,
    )
    return ledger.view(job), 201 if created else 200


@bp.get("/<job_id>")
@requires("read")
@validate_response(JobView)
async def show(caller: Caller, job_id: str) -> dict:
    """Read a job's ledger row"""
    return ledger.view(await runtime().db.run(ledger.get, job_id, caller.tenant_id))
