"""Read models of the knowledge base for the API and the CLI, scoped by tenant and site."""

from __future__ import annotations

from typing import Any

from sitespeak.errors import NotFound
from sitespeak.knowledge.models import CrawlOutcome, CrawlRun, Page
from sitespeak.sites import get_site


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def run_view(run: CrawlRun, outcomes: bool = False) -> dict[str, Any]:
    view = {
        "id": run.id,
        "site_id": run.site_id,
        "job_id": str(run.job_id) if run.job_id else None,
        "status": run.status,
        "totals": run.totals,
        "error": run.error,
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
    }
    if outcomes:
        view["pages"] = [
            {
                "url": o.url,
                "outcome": o.outcome,
                "reason": o.reason,
                "http_status": o.http_status,
                "not_modified": o.not_modified,
            }
            for o in CrawlOutcome.select()
            .where(CrawlOutcome.run == run.id)
            .order_by(CrawlOutcome.at, CrawlOutcome.url)
        ]
    return view


def list_runs(tenant_id: int, site_ref: int | str, limit: int = 50) -> list[dict]:
    site = get_site(tenant_id, site_ref)
    runs = (
        CrawlRun.select()
        .where(CrawlRun.site == site.id, CrawlRun.tenant == tenant_id)
        .order_by(CrawlRun.id.desc())
        .limit(limit)
    )
    return [run_view(r) for r in runs]


def get_run(tenant_id: int, site_ref: int | str, run_id: int) -> dict:
    site = get_site(tenant_id, site_ref)
    run = CrawlRun.get_or_none(
        CrawlRun.id == run_id, CrawlRun.site == site.id, CrawlRun.tenant == tenant_id
    )
    if run is None:
        raise NotFound(f"no crawl run {run_id} for site {site.name!r}")
    return run_view(run, outcomes=True)


def page_view(page: Page, detail: bool = False) -> dict[str, Any]:
    view = {
        "id": page.id,
        "url": page.url,
        "final_url": page.final_url,
        "canonical_url": page.canonical_url,
        "status": page.status,
        "http_status": page.http_status,
        "error": page.error,
        "title": page.title,
        "lang": page.lang,
        "redirects": page.redirects,
        "fetched_at": _iso(page.fetched_at),
        "changed_at": _iso(page.changed_at),
    }
    if detail:
        view.update(
            headings=page.headings, links=page.links, forms=page.forms, actions=page.actions
        )
    return view


def list_pages(
    tenant_id: int, site_ref: int | str, *, detail: bool = False, status: str | None = None
) -> list[dict]:
    site = get_site(tenant_id, site_ref)
    query = Page.select().where(Page.site == site.id, Page.tenant == tenant_id)
    if status:
        query = query.where(Page.status == status)
    return [page_view(p, detail) for p in query.order_by(Page.url)]


def page_actions(tenant_id: int, site_id: int) -> list[dict]:
    """Per page: links, forms and ``[data-action]`` elements (for the page-action catalog)."""
    return list_pages(tenant_id, site_id, detail=True, status="ok")
