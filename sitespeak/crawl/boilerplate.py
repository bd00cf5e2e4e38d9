"""A site's own boilerplate: text blocks its pages repeat (a footer in a plain <div>, a strip
with the phone number at the top, a menu the page markup does not name as one). One page's
extraction cannot tell them from content; the site's pages together can. A block found on at
least half of a site's pages (and on at least three) is taken out of the passages of every
page but one, the shallowest (the home page, as a rule), so what it says (an address, a phone
number) is still found once instead of crowding out each page's own text.

Each page keeps the keys of its blocks as extracted (``pages.blocks``); at the end of a crawl
they are counted over the site's pages, and the chunks of the pages this run recorded lose the
lines of the blocks that are boilerplate. A page recorded before keeps its chunks (they were
cleaned when it was recorded); a block that becomes common only later is taken out of a page's
chunks when that page next changes."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable

from sitespeak.db.connection import database
from sitespeak.db.models import Site
from sitespeak.knowledge.chunking import ChunkDraft
from sitespeak.knowledge.extract import PageContent, clean
from sitespeak.knowledge.models import Chunk, CrawlOutcome, Page

MIN_PAGES = 3  # a block on fewer pages than this is never boilerplate
SHARE = 0.5  # of the site's pages


def key(text: str) -> str:
    return hashlib.sha256(clean(text).lower().encode()).hexdigest()[:16]


def block_keys(content: PageContent) -> list[str]:
    """The keys of the page's text blocks (paragraphs, table rows, lines), for ``pages.blocks``."""
    return sorted({key(p) for s in content.sections for p in s.paragraphs if clean(p)})


def common_blocks(site_id: int) -> dict[str, int]:
    """Key of each boilerplate block of the site -> the page that keeps it."""
    pages = list(
        Page.select(Page.id, Page.url, Page.depth, Page.blocks).where(
            Page.site == site_id, Page.status == "ok", Page.blocks.is_null(False)
        )
    )
    need = max(MIN_PAGES, math.ceil(SHARE * len(pages)))
    if len(pages) < need:
        return {}
    counts = Counter(k for p in pages for k in set(p.blocks or []))
    common = {k for k, n in counts.items() if n >= need}
    keeper: dict[str, int] = {}
    for page in sorted(pages, key=lambda p: (p.depth, len(p.url), p.url)):
        for k in common.intersection(page.blocks or []):
            keeper.setdefault(k, page.id)
    return keeper


Replace = Callable[[Site, int, str, str, list[ChunkDraft]], None]


def strip_site(site: Site, run_id: int, replace: Replace) -> int:
    """Take the site's boilerplate out of the chunks of the pages this run recorded (new or
    changed), writing each page's new chunks with ``replace`` (the store's); return how many
    pages' chunks changed."""
    recorded = CrawlOutcome.select(CrawlOutcome.url).where(
        CrawlOutcome.run == run_id, CrawlOutcome.outcome.in_(("new", "changed"))
    )
    if not recorded.exists():
        return 0  # an unchanged recrawl: every page's chunks were cleaned when recorded
    keeper = common_blocks(site.id)
    if not keeper:
        return 0
    chunks = (
        Chunk.select(Chunk.page, Chunk.url, Chunk.title, Chunk.kind, Chunk.anchor, Chunk.heading)
        .select_extend(Chunk.text)
        .where(
            Chunk.site == site.id,
            Chunk.retired == False,  # noqa: E712 - peewee's SQL comparison
            Chunk.url.in_(recorded),
        )
        .order_by(Chunk.page, Chunk.ord)
    )
    by_page: dict[int, list[Chunk]] = {}
    for chunk in chunks:
        by_page.setdefault(chunk.page_id, []).append(chunk)
    changed = 0
    for page_id, page_chunks in by_page.items():
        drafts, stripped = [], False
        for chunk in page_chunks:
            text = chunk.text
            if chunk.kind == "text":
                lines = text.split("\n")
                kept = [x for x in lines if keeper.get(key(x), page_id) == page_id]
                stripped |= len(kept) < len(lines)
                text = "\n".join(kept).strip()
            if text:
                drafts.append(ChunkDraft(chunk.kind, chunk.anchor, chunk.heading, text))
        if stripped:
            first = page_chunks[0]
            with database.atomic():
                replace(site, page_id, first.url, first.title, drafts)
            changed += 1
    return changed
