"""Hosted sites' job kinds, on the critical queue (an owner is waiting for the site to go live):
``hosting.publish`` builds an uploaded release and switches to it, ``hosting.rollback`` switches
back to a kept one."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sitespeak.errors import NotFound
from sitespeak.hosting import registry
from sitespeak.hosting.models import HostedSite
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobKind, RetryPolicy
from sitespeak.jobs.schedules import Slot, daily

PUBLISH = "hosting.publish"
ROLLBACK = "hosting.rollback"
INGEST = "hosting.ingest"
PURGE = "hosting.purge"
SWEEP = "hosting.sweep_uploads"


class NoArgs(BaseModel, extra="forbid"):
    pass


class ReleaseArgs(BaseModel, extra="forbid"):
    site_id: int = Field(..., ge=1)
    release: int = Field(..., ge=1)


class PurgeArgs(ReleaseArgs):
    hook: str = Field(..., min_length=1, max_length=2000)
    paths: list[str] = Field(default_factory=list, max_length=1_000_000)


def hosted_of(tenant_id: int | None, args: ReleaseArgs) -> HostedSite:
    """The job's hosted site, looked up in the job's tenant only."""
    if tenant_id is None:
        raise NotFound(f"no site {args.site_id}: a hosting job needs the site's tenant")
    return registry.get(tenant_id, args.site_id)


def publish(ctx: JobContext, args: ReleaseArgs) -> dict[str, Any]:
    # Imported on the first job: the build needs lxml, which the worker need not load to start.
    from sitespeak.hosting.publish import publish_release

    hosted = hosted_of(ctx.tenant_id, args)
    return publish_release(
        ctx.settings, hosted.tenant_id, hosted.site_id, args.release, ctx.progress, jobs=ctx.jobs
    )


def rollback(ctx: JobContext, args: ReleaseArgs) -> dict[str, Any]:
    from sitespeak.hosting.publish import rollback as switch_back

    hosted = hosted_of(ctx.tenant_id, args)
    return switch_back(ctx.settings, hosted.tenant_id, hosted.site_id, args.release, jobs=ctx.jobs)


def ingest(ctx: JobContext, args: ReleaseArgs) -> dict[str, Any]:
    # Imported on the first job: extraction and embedding are heavy (lxml, onnxruntime).
    from sitespeak.hosting.knowledge import ingest_job

    return ingest_job(ctx, hosted_of(ctx.tenant_id, args), args.release)


def purge(ctx: JobContext, args: PurgeArgs) -> dict[str, Any]:
    from sitespeak.hosting.purge import call_hook

    hosted = hosted_of(ctx.tenant_id, args)
    return call_hook(
        ctx.settings,
        hosted.tenant_id,
        hosted.site_id,
        args.release,
        args.hook,
        args.paths,
        ctx.attempt,
    )


def sweep(ctx: JobContext, args: NoArgs) -> dict[str, Any]:
    from sitespeak.hosting.publish import sweep_uploads

    return sweep_uploads(ctx.settings)


KINDS = (
    JobKind(PUBLISH, publish, ReleaseArgs, ("critical",), check=hosted_of),
    JobKind(ROLLBACK, rollback, ReleaseArgs, ("critical",), check=hosted_of),
    JobKind(INGEST, ingest, ReleaseArgs, ("critical",), check=hosted_of),
    # A CDN's purge API can be down for a while: more tries, a longer wait between them.
    JobKind(PURGE, purge, PurgeArgs, ("critical",), RetryPolicy(6, 2.0, 600.0), check=hosted_of),
    JobKind(SWEEP, sweep, NoArgs, ("maintenance",), RetryPolicy(2, 60.0, 600.0)),
)
SCHEDULE = (Slot(SWEEP, daily),)
