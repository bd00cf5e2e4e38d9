"""The crawl's job kind: ``crawl.site`` (crawler queue). Not one a tenant submits by name: the
API's ``POST /api/v1/sites/{site}/crawls`` keeps one open crawl per site."""

from __future__ import annotations

from typing import Any

from sitespeak.jobs.context import JobContext
from sitespeak.jobs.registry import JobKind
from sitespeak.knowledge.jobs import SiteArgs, site_of

CRAWL = "crawl.site"


def crawl(ctx: JobContext, args: SiteArgs) -> dict[str, Any]:
    # Imported on the first crawl: the crawler is heavy (lxml, numpy, httpx) and the worker
    # builds its registry before it installs its signal handlers.
    from sitespeak.crawl import refresh

    return refresh.crawl_job(ctx, site_of(ctx.tenant_id, args))


# critical: a site's first crawl that its owner started and is watching (crawl/refresh.py).
KINDS = (JobKind(CRAWL, crawl, SiteArgs, ("crawler", "critical"), check=site_of),)
