"""A site's name from its start page's title, so the add-site form asks only for the URL."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from sitespeak.crawl.fetch import Fetcher
from sitespeak.settings import Settings

TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def site_name(url: str, allow_private: bool, settings: Settings) -> str:
    """The start page's <title> (through the crawler's SSRF guard), else its host name."""
    fetcher = Fetcher(
        user_agent=settings.crawl_user_agent,
        timeout=min(settings.crawl_timeout, 5.0),
        max_bytes=512 * 1024,
        max_redirects=settings.crawl_max_redirects,
        allow_private=allow_private,
        connections=1,
    )
    try:
        page = fetcher.get(url)
    finally:
        fetcher.close()
    found = TITLE.search(page.body or b"") if not page.error else None
    if found:
        title = " ".join(html.unescape(found.group(1).decode("utf-8", "replace")).split())
        if title:
            return title[:200]
    return urlsplit(url).hostname or url
