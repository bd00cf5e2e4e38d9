"""The knowledge base's job kind: ``knowledge.embed`` (ai queue), submitted by the crawl job for a
site with chunks to embed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sitespeak import sites
from sitespeak.db.models import Site
from sitespeak.errors import NotFound
from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobKind


class SiteArgs(BaseModel, extra="forbid"):
    site_id: int = Field(..., ge=1)


class EmbedArgs(SiteArgs):
    # The crawl run whose chunks these are: when given, its candidate release is built after.
    run_id: int | None = Field(None, ge=1)
    source: str = Field("crawl", max_length=40)  # what fetched the run's pages (an upload)


CANDIDATE = "release.candidate"  # declared by sitespeak.releases; submitted here by name


def site_of(tenant_id: int | None, args: SiteArgs) -> Site:
    """The job's site, looked up in the job's tenant only: a site id is never trusted alone."""
    if tenant_id is None:
        raise NotFound(f"no site {args.site_id}: a site job needs the site's tenant")
    return sites.get_site(tenant_id, args.site_id)


def embed(ctx: JobContext, args: EmbedArgs) -> dict[str, Any]:
    # Imported on the first job: the embedder is heavy (onnxruntime, numpy) and the worker
    # builds its registry before it installs its signal handlers.
    from sitespeak.knowledge.embedders import embedder_for
    from sitespeak.knowledge.indexing import announce, embed_site

    site = site_of(ctx.tenant_id, args)
    settings = ctx.settings
    result = embed_site(
        site.id,
        embedder_for(settings),
        settings.embed_batch_size,
        ctx.progress,
        stopping=ctx.stopping,
        resume=ctx.resume,
    )
    announce(ctx.publish, site)
    if args.run_id is not None:
        result["candidate_job"] = str(submit_candidate(ctx, site.id, args.run_id, args.source).id)
    return result


def submit_candidate(ctx: JobContext, site_id: int, run_id: int, source: str = "crawl") -> Any:
    """The run's candidate release, built by its own job (once per run)."""
    return ctx.submit(
        CANDIDATE,
        {"site_id": site_id, "run_id": run_id, "source": source},
        queue="critical",
        idempotency_key=f"candidate:{site_id}:{run_id}",
    )


# critical: the embedding that follows a first crawl on the critical queue.
KINDS = (JobKind("knowledge.embed", embed, EmbedArgs, ("ai", "critical"), check=site_of),)
