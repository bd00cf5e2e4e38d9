"""robots.txt (through protego) and sitemaps: robots ``Sitemap:`` lines, /sitemap.xml, sitemap
indexes and ``lastmod``."""

from __future__ import annotations

import gzip
import logging
from urllib.parse import urljoin, urlsplit

from lxml import etree
from protego import Protego

from sitespeak.crawl.fetch import Fetcher

log = logging.getLogger(__name__)
MAX_SITEMAPS = 50


class Robots:
    def __init__(self, text: str, user_agent: str) -> None:
        self._parser = Protego.parse(text)
        self.user_agent = user_agent

    def allowed(self, url: str) -> bool:
        return self._parser.can_fetch(url, self.user_agent)

    @property
    def crawl_delay(self) -> float:
        return float(self._parser.crawl_delay(self.user_agent) or 0.0)

    @property
    def sitemaps(self) -> list[str]:
        return list(self._parser.sitemaps)


def fetch_robots(fetcher: Fetcher, origin: str, user_agent: str) -> Robots:
    """A missing robots.txt allows everything; an unreachable one too (as Google does for 4xx)."""
    got = fetcher.get(urljoin(origin, "/robots.txt"), html_only=False)
    if got.error or got.status != 200:
        return Robots("", user_agent)
    return Robots(got.text(), user_agent)


def _parse_sitemap(body: bytes) -> tuple[list[str], list[tuple[str, str | None]]]:
    """(child sitemaps, [(page url, lastmod)])."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(body, parser)
    children, pages = [], []
    for el in root:
        tag = etree.QName(el).localname if isinstance(el.tag, str) else ""
        loc = el.findtext("{*}loc") or el.findtext("loc")
        if not loc:
            continue
        lastmod = el.findtext("{*}lastmod") or el.findtext("lastmod")
        if tag == "sitemap":
            children.append(loc.strip())
        elif tag == "url":
            pages.append((loc.strip(), lastmod.strip() if lastmod else None))
    return children, pages


def sitemap_urls(fetcher: Fetcher, origin: str, robots: Robots) -> dict[str, str | None]:
    """Every page URL the site's sitemaps list, with its lastmod, following indexes."""
    queue = robots.sitemaps or [urljoin(origin, "/sitemap.xml")]
    seen: set[str] = set()
    found: dict[str, str | None] = {}
    while queue and len(seen) < MAX_SITEMAPS:
        url = queue.pop(0)
        if url in seen or urlsplit(url).hostname != urlsplit(origin).hostname:
            continue
        seen.add(url)
        got = fetcher.get(url, html_only=False)
        if got.error or got.status != 200:
            continue
        try:
            children, pages = _parse_sitemap(got.body)
        except (etree.XMLSyntaxError, OSError, ValueError) as exc:
            log.info("sitemap %s unreadable: %s", url, exc)
            continue
        queue += children
        found.update(pages)
    return found
