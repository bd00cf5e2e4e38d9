"""The targets a model may send the visitor to: the site's pages and their sections, as crawled.
navigate/scroll_to tool calls outside this catalog are refused, so a model cannot make the
widget open an arbitrary URL. The web process fills it from the live release
(``sitespeak.knowledge.navigation``): this package reads no table."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_PAGES = 200  # what fits in a tool description without drowning the prompt
MAX_SECTIONS = 400


@dataclass
class Catalog:
    pages: dict[str, str] = field(default_factory=dict)  # url -> title
    sections: dict[str, tuple[str, str]] = field(default_factory=dict)  # anchor -> (url, heading)

    @classmethod
    def of(cls, pages: list[tuple[str, str]], sections: list[tuple[str, str, str]]) -> Catalog:
        """From (url, title) pages and (anchor, url, heading) sections, at most the caps."""
        catalog = cls()
        for url, title in pages[:MAX_PAGES]:
            catalog.pages[url] = title
        for anchor, url, heading in sections[:MAX_SECTIONS]:
            catalog.sections[anchor] = (url, heading)
        return catalog

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
