"""``/api/v1/jobs``: submit a job to a queue and read its ledger row.

Only the kinds a tenant may submit are accepted (the others are started by the routes that own
them, e.g. a site's crawls), and their arguments are checked against the caller's tenant before
a row is written: a site id of another tenant is a 404, as it is everywhere else."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from quart import Blueprint, Response, jsonify, request
from quart.typing import ResponseReturnValue

from sitespeak.jobs import ledger
from sitespeak.settings import QUEUES
from sitespeak.web.auth import api_caller
from sitespeak.web.requests import RequestBody, body_as
from sitespeak.web.runtime import runtime

bp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


class JobRequest(RequestBody, extra="forbid"):
    queue: str | None = Field(None, description="One of: " + ", ".join(QUEUES))
    name: str = Field(..., min_length=1, max_length=100)
    args: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = Field(None, min_length=1, max_length=200)


@bp.post("")
async def submit() -> ResponseReturnValue:
    caller = await api_caller("write")
    body = await body_as(JobRequest)
    key = body.idempotency_key or request.headers.get("Idempotency-Key")
    rt = runtime()
    kind = rt.jobs.registry.get_public(body.name)
    args = await rt.db.run(kind.validate, caller.tenant_id, body.args)
    job, created = await rt.db.run(
        rt.jobs.submit,
        caller.tenant_id,
        body.name,
        args.model_dump(mode="json"),
        queue=body.queue,
        idempotency_key=key,
    )
    return jsonify(ledger.view(job)), 201 if created else 200


@bp.get("/<job_id>")
async def show(job_id: str) -> Response:
    caller = await api_caller("read")
    job = await runtime().db.run(ledger.get, job_id, caller.tenant_id)
    return jsonify(ledger.view(job))
