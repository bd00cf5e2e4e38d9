"""Build the action catalog from the crawl's pages, keep it fresh, and let the owner switch
entries on and off. Rebuilds keep every choice the owner made (``owner_set``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urldefrag, urlsplit

from peewee import fn

from sitespeak.actions.models import ActionCatalog, SiteAction
from sitespeak.db.connection import database
from sitespeak.db.models import Site, utcnow
from sitespeak.errors import NotFound
from sitespeak.knowledge.models import Page
from sitespeak.sites import allowed_origins, get_site

KINDS = ("navigate", "fill", "submit", "click")
# Words that make a click or a form commit something the visitor cannot take back.
RISKY = re.compile(
    r"\b(delete|remove|cancel|destroy|erase|buy|purchase|pay|checkout|order|"
    r"book|submit|send|subscribe|unsubscribe|confirm|sign ?up|register|transfer)",
    re.IGNORECASE,
)


@dataclass
class Entry:
    key: str
    kind: str
    url: str
    target: str = ""
    label: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)
    risky: bool = False


def page_url(url: str) -> str:
    """A URL without its fragment and trailing slash differences, for matching."""
    base, _ = urldefrag(url.strip())
    parts = urlsplit(base)
    path = parts.path.rstrip("/") or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _humane(ident: str) -> str:
    return re.sub(r"[-_]+", " ", ident).strip()


def form_entries(url: str, index: int, form: dict[str, Any]) -> list[Entry]:
    target = f"#{form['id']}" if form.get("id") else f"form:{index}"
    label = _humane(form.get("id") or "") or form.get("submit") or f"form {index + 1}"
    fields = [f for f in form.get("fields", []) if f.get("name")]
    where = f"{page_url(url)} {target}"
    submit_label = form.get("submit") or "submit"
    # Posting a form always commits something; a GET search form is harmless but still the
    # visitor's explicit choice, so submitting stays risky either way.
    return [
        Entry(f"fill {where}", "fill", page_url(url), target, label, fields, False),
        Entry(
            f"submit {where}",
            "submit",
            page_url(url),
            target,
            f"{label}: {submit_label}",
            fields,
            True,
        ),
    ]


def click_entries(url: str, actions: list[dict[str, Any]]) -> list[Entry]:
    out = []
    for item in actions:
        if item.get("id"):
            target = f"#{item['id']}"
        elif item.get("action"):
            target = f'[data-action="{item["action"]}"]'
        else:
            continue  # nothing stable to find it by on the live page
        label = item.get("text") or _humane(item.get("action", "")) or target
        risky = bool(RISKY.search(f"{label} {item.get('action', '')}"))
        out.append(
            Entry(
                f"click {page_url(url)} {target}",
                "click",
                page_url(url),
                target,
                label[:200],
                [],
                risky,
            )
        )
    return out


def entries_for(site: Site, pages: list[Page]) -> list[Entry]:
    origins = set(allowed_origins(site)) | {_origin(u) for u in site.start_urls}
    found: dict[str, Entry] = {}

    def add(entry: Entry) -> None:
        found.setdefault(entry.key, entry)

    for page in pages:
        url = page.final_url or page.url
        add(Entry(f"navigate {page_url(url)}", "navigate", page_url(url), "", page.title or url))
    for page in pages:
        url = page.final_url or page.url
        for link in page.links or []:
            href = link.get("href", "")
            if _origin(href) in origins:
                add(
                    Entry(
                        f"navigate {page_url(href)}",
                        "navigate",
                        page_url(href),
                        "",
                        link.get("text") or href,
                    )
                )
        for index, form in enumerate(page.forms or []):
            for entry in form_entries(url, index, form):
                add(entry)
        for entry in click_entries(url, page.actions or []):
            add(entry)
    return list(found.values())


def _signature(site: Site) -> str:
    """Changes whenever a crawl adds, drops or refetches a page."""
    count, latest = (
        Page.select(fn.COUNT(Page.id), fn.MAX(Page.fetched_at))
        .where(Page.site == site.id, Page.status == "ok")
        .scalar(as_tuple=True)
    )
    return f"{count}:{latest.isoformat() if latest else '-'}:{site.knowledge_version}"


def rebuild(site: Site) -> int:
    """Sync the catalog with the pages; returns how many entries it now has."""
    pages = list(Page.select().where(Page.site == site.id, Page.status == "ok"))
    entries = entries_for(site, pages)
    with database.atomic():
        # One rebuild of a site at a time: two first turns rebuilt it at once and one failed on
        # the unique key. The second reads what the first committed and only updates it.
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (0x5175, site.id))
        existing = {a.key: a for a in SiteAction.select().where(SiteAction.site == site.id)}
        now = utcnow()
        for entry in entries:
            row = existing.pop(entry.key, None)
            values = dict(
                kind=entry.kind,
                url=entry.url,
                target=entry.target,
                label=entry.label,
                fields=entry.fields,
                risky=entry.risky,
                updated_at=now,
            )
            if row is None:
                SiteAction.create(tenant=site.tenant_id, site=site.id, key=entry.key, **values)
            else:
                SiteAction.update(**values).where(SiteAction.id == row.id).execute()
        if existing:
            SiteAction.delete().where(
                SiteAction.id.in_([a.id for a in existing.values()])
            ).execute()
        sig = _signature(site)
        (
            ActionCatalog.insert(site=site.id, signature=sig, built_at=now)
            .on_conflict(
                conflict_target=[ActionCatalog.site],
                update={ActionCatalog.signature: sig, ActionCatalog.built_at: now},
            )
            .execute()
        )
    return len(entries)


def ensure_fresh(site: Site) -> None:
    built = ActionCatalog.get_or_none(ActionCatalog.site == site.id)
    if built is None or built.signature != _signature(site):
        rebuild(site)


def enabled_actions(site_id: int) -> list[SiteAction]:
    site = Site.get_by_id(site_id)
    ensure_fresh(site)
    return list(SiteAction.select().where(SiteAction.site == site_id, SiteAction.enabled))


# --- the owner's API (tenant-scoped) ----------------------------------------------------------


def list_actions(
    tenant_id: int, site_ref: int | str, kind: str | None = None, enabled: bool | None = None
) -> list[SiteAction]:
    site = get_site(tenant_id, site_ref)
    ensure_fresh(site)
    query = SiteAction.select().where(SiteAction.site == site.id, SiteAction.tenant == tenant_id)
    if kind:
        query = query.where(SiteAction.kind == kind)
    if enabled is not None:
        query = query.where(SiteAction.enabled == enabled)
    return list(query.order_by(SiteAction.kind, SiteAction.url, SiteAction.id))


def get_action(tenant_id: int, site_ref: int | str, action_id: int) -> SiteAction:
    site = get_site(tenant_id, site_ref)
    row = SiteAction.get_or_none(
        SiteAction.id == action_id, SiteAction.site == site.id, SiteAction.tenant == tenant_id
    )
    if row is None:
        raise NotFound(f"no action {action_id} on site {site_ref!r}")
    return row


def set_enabled(tenant_id: int, site_ref: int | str, action_id: int, enabled: bool) -> SiteAction:
    row = get_action(tenant_id, site_ref, action_id)
    row.enabled, row.owner_set, row.updated_at = enabled, True, utcnow()
    with database.atomic():
        row.save()
    return row


def action_view(row: SiteAction) -> dict[str, Any]:
    return _view(row)


# --- what a release offers ----------------------------------------------------------------------


@dataclass(frozen=True)
class OfferedAction:
    """A catalog entry as a release holds it: what the widget may be asked to do while that
    release is live, whatever the site's catalog has become since."""

    id: int
    key: str
    kind: str
    url: str
    target: str = ""
    label: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)
    risky: bool = False
    enabled: bool = True
    owner_set: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return self.risky or self.kind in ("fill", "submit")

    @classmethod
    def of_view(cls, view: dict[str, Any]) -> OfferedAction:
        return cls(
            id=int(view.get("id") or 0),
            key=view.get("key") or "",
            kind=view["kind"],
            url=view["url"],
            target=view.get("target") or "",
            label=view.get("label") or "",
            fields=list(view.get("fields") or []),
            risky=bool(view.get("risky")),
            enabled=view.get("enabled", True) is not False,
            owner_set=bool(view.get("owner_set")),
        )


def snapshot(site_id: int) -> list[dict[str, Any]]:
    """The whole catalog (switched-off entries too, so a rollback can restore the owner's
    choices) as a release records it."""
    site = Site.get_by_id(site_id)
    ensure_fresh(site)
    rows = SiteAction.select().where(SiteAction.site == site_id).order_by(SiteAction.id)
    return [{**_view(r), "key": r.key} for r in rows]


def offered(views: list[dict[str, Any]]) -> list[OfferedAction]:
    """The entries of a snapshot the owner left on. Snapshots taken before switched-off
    entries were recorded hold only enabled ones, without keys."""
    return [a for a in map(OfferedAction.of_view, views) if a.enabled]


def offered_now(site_id: int) -> list[OfferedAction]:
    """What a site without any release offers: its catalog as it is."""
    return [OfferedAction.of_view(_view(r)) for r in enabled_actions(site_id)]


def _view(row: SiteAction) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "url": row.url,
        "target": row.target,
        "label": row.label,
        "fields": row.fields,
        "risky": row.risky,
        "needs_confirmation": row.needs_confirmation,
        "enabled": row.enabled,
        "owner_set": row.owner_set,
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }
