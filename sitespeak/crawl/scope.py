"""Which URLs belong to a site's crawl: normalisation and the scope rules."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit, urlunsplit

SKIP_EXTENSIONS = (
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".svg",
    ".webp",
    ".zip",
    ".gz",
    ".mp3",
    ".mp4",
    ".mov",
    ".css",
    ".js",
    ".ico",
    ".woff",
    ".woff2",
    ".xml",
)


def normalise(url: str) -> str:
    """One spelling per page: no fragment, lower-case scheme and host, no default port."""
    url = urldefrag(url.strip())[0]
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not (
        (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)
    ):
        host = f"{host}:{port}"
    if ":" in (parts.hostname or "") and not host.startswith("["):  # IPv6 literal
        host = f"[{host}]"
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", parts.query, ""))


@dataclass(frozen=True)
class Scope:
    hosts: frozenset[str]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    max_depth: int
    max_pages: int

    @classmethod
    def of(cls, start_urls: list[str], scope: dict) -> Scope:
        hosts = scope.get("allowed_hosts") or [urlsplit(u).hostname or "" for u in start_urls]
        return cls(
            frozenset(h.lower() for h in hosts),
            tuple(scope.get("include") or ()),
            tuple(scope.get("exclude") or ()),
            int(scope.get("max_depth", 10)),
            int(scope.get("max_pages", 1000)),
        )

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "") not in self.hosts:
            return False
        path = parts.path or "/"
        if path.lower().endswith(SKIP_EXTENSIONS):
            return False
        if self.include and not any(fnmatch.fnmatchcase(path, p) for p in self.include):
            return False
        return not any(fnmatch.fnmatchcase(path, p) for p in self.exclude)
