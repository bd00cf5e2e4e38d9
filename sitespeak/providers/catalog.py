"""The targets a model may send the visitor to: the site's pages and their sections, as crawled.
navigate/scroll_to tool calls outside this catalog are refused, so a model cannot make the
widget open an arbitrary URL."""

from __future__ import annotations

from dataclasses import dataclass, field

from sitespeak.db.connection import database

MAX_PAGES = 200  # what fits in a tool description without drowning the prompt
MAX_SECTIONS = 400


@dataclass
class Catalog:
    pages: dict[str, str] = field(default_factory=dict)  # url -> title
    sections: dict[str, tuple[str, str]] = field(default_factory=dict)  # anchor -> (url, heading)

    def page(self, target: str) -> dict[str, str] | None:
        target = target.strip()
        if target in self.pages:
            return {"kind": "navigate", "url": target, "anchor": "", "label": self.pages[target]}
        for url, title in self.pages.items():  # a model may name the page by its title
            if title and title.lower() == target.lower():
                return {"kind": "navigate", "url": url, "anchor": "", "label": title}
        return None

    def section(self, anchor: str) -> dict[str, str] | None:
        found = self.sections.get(anchor.strip().lstrip("#"))
        if found is None:
            return None
        url, heading = found
        return {
            "kind": "scroll-to-section",
            "url": url,
            "anchor": anchor.strip().lstrip("#"),
            "label": heading,
        }


def load_catalog(site_id: int) -> Catalog:
    """Blocking (peewee): run it on the db threads."""
    catalog = Catalog()
    pages = database.execute_sql(
        "SELECT url, title FROM pages WHERE site_id = %s AND status = 'ok' ORDER BY depth, id "
        "LIMIT %s",
        (site_id, MAX_PAGES),
    )
    for url, title in pages.fetchall():
        catalog.pages[url] = title or ""
    sections = database.execute_sql(
        "SELECT DISTINCT ON (anchor) anchor, url, heading FROM chunks WHERE site_id = %s "
        "AND anchor IS NOT NULL AND anchor <> '' ORDER BY anchor, id LIMIT %s",
        (site_id, MAX_SECTIONS),
    )
    for anchor, url, heading in sections.fetchall():
        catalog.sections[anchor] = (url, heading or "")
    return catalog
