"""Job kinds of the knowledge base: ``crawl.site`` (crawler queue) and ``knowledge.embed`` (ai
queue). Each takes a site id, loads the row and calls one domain function."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from sitespeak.jobs.context import JobContext


class SiteArgs(BaseModel, extra="forbid"):
    site_id: int = Field(..., ge=1)


# refresh is imported on call: it submits jobs, and the job table imports this module.
def crawl_site(ctx: JobContext, args: SiteArgs) -> dict[str, Any]:
    from sitespeak.knowledge import refresh

    return refresh.crawl_job(args.site_id, ctx)


def embed_site(ctx: JobContext, args: SiteArgs) -> dict[str, Any]:
    from sitespeak.knowledge import refresh

    return refresh.embed_job(args.site_id, ctx)
