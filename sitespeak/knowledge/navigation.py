"""The pages and sections of a site's live release, as targets a model may send the visitor to
(the chat tools' navigate and scroll_to). Read from the release's chunks, so a page or a section
of a candidate still waiting for review is no target, and a rollback brings the old ones back."""

from __future__ import annotations

from sitespeak.db.connection import database
from sitespeak.knowledge.site_index import IN_LIVE_RELEASE

Page = tuple[str, str]  # url, title
Section = tuple[str, str, str]  # anchor, url, heading


def live_pages(site_id: int, limit: int) -> list[Page]:
    """Shallow pages first (the start page, then what it links to). Blocking (peewee)."""
    cursor = database.execute_sql(
        "SELECT p.url, (array_agg(c.title ORDER BY c.id))[1] FROM pages p "
        "JOIN chunks c ON c.page_id = p.id "
        f"WHERE p.site_id = %(site)s AND c.site_id = %(site)s AND {IN_LIVE_RELEASE} "
        "GROUP BY p.id ORDER BY p.depth, p.id LIMIT %(limit)s",
        {"site": site_id, "limit": limit},
    )
    return [(url, title or "") for url, title in cursor.fetchall()]


def live_sections(site_id: int, limit: int) -> list[Section]:
    """Blocking (peewee)."""
    cursor = database.execute_sql(
        "SELECT DISTINCT ON (c.anchor) c.anchor, c.url, c.heading FROM chunks c "
        "WHERE c.site_id = %(site)s AND c.anchor IS NOT NULL AND c.anchor <> '' "
        f"AND {IN_LIVE_RELEASE} ORDER BY c.anchor, c.id LIMIT %(limit)s",
        {"site": site_id, "limit": limit},
    )
    return [(anchor, url, heading or "") for anchor, url, heading in cursor.fetchall()]
