"""The releases' job kinds, all on the critical queue (a person is waiting, or visitors are
answered from the result): ``release.candidate`` (submitted when a run's embedding is done),
``release.publish``, ``release.rollback`` and ``release.discard`` (by the API, the admin UI)."""

from __future__ import annotations

from typing import Any

from peewee import SQL
from pydantic import BaseModel, Field

from sitespeak import sites
from sitespeak.db.models import Job, Site
from sitespeak.errors import Conflict, NotFound
from sitespeak.jobs.context import JobContext, Submitter
from sitespeak.jobs.ledger import OPEN
from sitespeak.jobs.registry import JobKind
from sitespeak.releases import candidates, switch
from sitespeak.releases.views import release_summary

CANDIDATE = "release.candidate"
PUBLISH = "release.publish"
ROLLBACK = "release.rollback"
DISCARD = "release.discard"


class CandidateArgs(BaseModel, extra="forbid"):
    site_id: int = Field(..., ge=1)
    run_id: int = Field(..., ge=1)
    source: str = Field("crawl", max_length=40)


class SwitchArgs(BaseModel, extra="forbid"):
    site_id: int = Field(..., ge=1)
    number: int = Field(..., ge=1)
    by: str = Field("", max_length=320)  # who asked (shown in the history)


def _site(tenant_id: int | None, args: CandidateArgs | SwitchArgs) -> Site:
    if tenant_id is None:
        raise NotFound(f"no site {args.site_id}: a release job needs the site's tenant")
    return sites.get_site(tenant_id, args.site_id)


def candidate(ctx: JobContext, args: CandidateArgs) -> dict[str, Any]:
    site = _site(ctx.tenant_id, args)
    release = candidates.build_candidate(
        site.id, args.run_id, ctx.settings, ctx.publish, source=args.source
    )
    return {"release": release_summary(release)}


def publish(ctx: JobContext, args: SwitchArgs) -> dict[str, Any]:
    site = _site(ctx.tenant_id, args)
    ctx.progress(site_id=site.id, number=args.number, step="switching")
    release = switch.publish(
        site.tenant_id, site.id, args.number, args.by, ctx.settings, ctx.publish
    )
    return {"release": release_summary(release)}


def rollback(ctx: JobContext, args: SwitchArgs) -> dict[str, Any]:
    site = _site(ctx.tenant_id, args)
    ctx.progress(site_id=site.id, number=args.number, step="switching")
    release = switch.rollback(
        site.tenant_id, site.id, args.number, args.by, ctx.settings, ctx.publish
    )
    return {"release": release_summary(release)}


def discard(ctx: JobContext, args: SwitchArgs) -> dict[str, Any]:
    site = _site(ctx.tenant_id, args)
    release = switch.discard(site.tenant_id, site.id, args.number, args.by, ctx.publish)
    return {"release": release_summary(release)}


# What each switch may start from: checked when it is asked for (a clear 409 at once) and
# again in the job (the state may have moved while it waited).
STARTS_FROM = {
    PUBLISH: ("candidate", "held"),
    ROLLBACK: ("archived",),
    DISCARD: ("candidate", "held"),
}
ACTIONS = {"publish": PUBLISH, "rollback": ROLLBACK, "discard": DISCARD}


def open_switches(site_id: int) -> list[Job]:
    """Publishes, rollbacks and discards of the site not finished yet (the admin waits on them)."""
    return list(
        Job.select()
        .where(
            Job.name.in_(tuple(ACTIONS.values())),
            Job.status.in_(OPEN),
            SQL("(args->>'site_id')::bigint = %s", (site_id,)),
        )
        .order_by(Job.created_at)
    )


def request_switch(
    jobs: Submitter, tenant_id: int, site_ref: int | str, number: int, action: str, by: str
) -> Job:
    """Submit a publish, rollback or discard of one release of the tenant's site (critical
    queue). A release in no state to take it is a 409 now, not a dead job later."""
    name = ACTIONS[action]
    site = sites.get_site(tenant_id, site_ref)
    release = switch.get_release(tenant_id, site.id, number)
    if release.state not in STARTS_FROM[name] or not release.kept:
        kept = "" if release.kept else " and no longer kept"
        raise Conflict(f"release {number} is {release.state}{kept}: it cannot take {action}")
    job, _ = jobs.submit(
        tenant_id,
        name,
        {"site_id": site.id, "number": number, "by": by},
        queue="critical",
    )
    return job


KINDS = (
    JobKind(CANDIDATE, candidate, CandidateArgs, ("critical",), check=_site),
    JobKind(PUBLISH, publish, SwitchArgs, ("critical",), check=_site),
    JobKind(ROLLBACK, rollback, SwitchArgs, ("critical",), check=_site),
    JobKind(DISCARD, discard, SwitchArgs, ("critical",), check=_site),
)
