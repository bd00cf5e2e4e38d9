"""How a request for a hosted site is answered, decided without touching the network layer.

The host name picks the site (``layout.live_release``: two link reads, no database); the
release's manifest is the allow-list of what may be served, so a URL path is only ever a key
looked up in it, never joined onto a disk path. What comes out is an ``Answer``: status, headers
and which file (of an immutable release) is the body, which the web layer sends.
"""

from __future__ import annotations

import ipaddress
import os
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from threading import Lock

from sitespeak.hosting import layout

IMMUTABLE_CACHE = b"public, max-age=31536000, immutable"
# Pages and unfingerprinted files: a minute in caches, then revalidated (a 304 is cheap), so a
# publish or rollback is seen within a minute by browsers that have the old copy.
SHORT_CACHE = b"public, max-age=60, must-revalidate"
METHODS = ("GET", "HEAD")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
# Preferred first: brotli is smaller than gzip for the same text.
ENCODINGS = (("br", ".br", "-br"), ("gzip", ".gz", "-gz"))


@dataclass(frozen=True)
class Release:
    """A live release as loaded once: its directory and manifest, and derived header values."""

    path: Path
    manifest: layout.Manifest
    last_modified: bytes
    modified_at: datetime


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    file: Path | None = None  # the body is this file's content
    body: bytes = b""
    size: int | None = None  # the file's length when known without a stat


NOT_FOUND_BODY = b"Not found\n"
NOT_ALLOWED_BODY = b"Method not allowed\n"
UNAVAILABLE_BODY = b"This site is being updated; try again in a moment.\n"


class ReleaseCache:
    """Manifests by release directory: a release never changes, so one read serves every
    request until it leaves the cache (least recently used first, at most ``limit``)."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._found: OrderedDict[str, Release] = OrderedDict()
        self._lock = Lock()  # loads run in threads

    def cached(self, path: Path) -> Release | None:
        with self._lock:
            found = self._found.get(os.path.normpath(path))
            if found is not None:
                self._found.move_to_end(os.path.normpath(path))
            return found

    def load(self, path: Path) -> Release:
        """Read and keep ``path``'s manifest (blocking: call it off the event loop)."""
        key = os.path.normpath(path)
        manifest = layout.Manifest.from_json((Path(key) / layout.MANIFEST).read_text())
        modified = datetime.fromisoformat(manifest.created_at)
        release = Release(
            Path(key), manifest, format_datetime(modified, usegmt=True).encode(), modified
        )
        with self._lock:
            self._found[key] = release
            self._found.move_to_end(key)
            while len(self._found) > self.limit:
                self._found.popitem(last=False)
        return release


class HostRouter:
    """Which requests are a hosted site's: by the Host header only, never the admin's host."""

    def __init__(self, state_dir: Path, admin_host: str, domain: str) -> None:
        self.state_dir = state_dir
        self.admin_host = admin_host.lower()
        self.domain = domain.lower()

    def hosted_name(self, host: bytes | None) -> str | None:
        """The host name a request is for when it may be a hosted site's, else None: the admin's
        own host, localhost and IP addresses always belong to the app (uploaded HTML must never
        share an origin with the admin UI's cookies)."""
        if not host:
            return None
        name = host.decode("latin-1").strip().lower()
        if name.startswith("["):  # an IPv6 literal, with or without a port
            return None
        name = name.rsplit(":", 1)[0].rstrip(".")
        if (
            name == self.admin_host
            or name == "localhost"
            or name.endswith(".localhost")
            or not layout.is_hostname(name)
            or _is_ip(name)
        ):
            return None
        return name

    def release_for(self, name: str) -> Path | None:
        return layout.live_release(self.state_dir, name)

    def in_hosted_domain(self, name: str) -> bool:
        """A name under the hosted-sites domain is never the app's, even with no site on it."""
        return bool(self.domain) and (name == self.domain or name.endswith("." + self.domain))


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def answer(release: Release, method: str, path: str, query: bytes, headers: dict) -> Answer:
    """The answer to ``method path`` in ``release``; ``headers`` maps lower-case request
    header names (bytes) to their values (bytes)."""
    if method not in METHODS:
        return Answer(
            405,
            [(b"allow", b"GET, HEAD"), (b"content-type", b"text/plain; charset=utf-8")]
            + list(SECURITY_HEADERS),
            body=NOT_ALLOWED_BODY,
            size=len(NOT_ALLOWED_BODY),
        )
    files = release.manifest.files
    key = path
    entry = files.get(key)
    if entry is None and path.endswith("/"):  # a manifest that lists no folder URLs
        key = path + "index.html"
        entry = files.get(key)
    if entry is None:
        folder = path + "/"
        if not path.startswith("//") and (folder in files or folder + "index.html" in files):
            return _redirect(folder, query)
        return not_found(release, headers)
    return _file_answer(release, key, entry, headers, 200)


def not_found(release: Release | None, headers: dict | None = None) -> Answer:
    """The release's own 404 page when it has one, else a plain one."""
    if release is not None:
        page = release.manifest.not_found
        entry = release.manifest.files.get(page) if page else None
        if page and entry is not None:
            return _file_answer(release, page, entry, headers or {}, 404)
    return Answer(
        404,
        [(b"content-type", b"text/plain; charset=utf-8"), (b"cache-control", SHORT_CACHE)]
        + list(SECURITY_HEADERS),
        body=NOT_FOUND_BODY,
        size=len(NOT_FOUND_BODY),
    )


def unavailable() -> Answer:
    """A release that vanished under us twice (pruned while switching): try again shortly."""
    return Answer(
        503,
        [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"retry-after", b"1"),
            (b"cache-control", b"no-store"),
        ]
        + list(SECURITY_HEADERS),
        body=UNAVAILABLE_BODY,
        size=len(UNAVAILABLE_BODY),
    )


def _redirect(location: str, query: bytes) -> Answer:
    target = location.encode("utf-8") + (b"?" + query if query else b"")
    return Answer(
        301,
        [(b"location", _quote(target)), (b"cache-control", SHORT_CACHE)] + list(SECURITY_HEADERS),
    )


def _quote(raw: bytes) -> bytes:
    """Percent-encode what may not appear raw in a header (non-ASCII, controls, space)."""
    return b"".join(b"%%%02X" % c if c <= 0x20 or c >= 0x7F else bytes((c,)) for c in raw)


def _file_answer(
    release: Release, key: str, entry: layout.ServedFile, headers: dict, status: int
) -> Answer:
    name = release.manifest.file_of(key) or ""
    if not layout.is_inside_name(name):  # a manifest naming a file outside its release
        return not_found(None)
    encoding = _encoding(entry, headers.get(b"accept-encoding", b""))
    etag = b'"%s%s"' % (entry.sha256[:32].encode(), encoding[2].encode() if encoding else b"")
    out = [
        (b"content-type", entry.content_type.encode()),
        (b"etag", etag),
        (b"last-modified", release.last_modified),
        (b"cache-control", IMMUTABLE_CACHE if entry.immutable else SHORT_CACHE),
        *SECURITY_HEADERS,
    ]
    if entry.gzip or entry.br:
        out.append((b"vary", b"Accept-Encoding"))
    if status == 200 and _not_modified(release, etag, headers):
        return Answer(304, [h for h in out if h[0] != b"content-type"])
    path = layout.file_path(release.path, name)
    if encoding:
        out.append((b"content-encoding", encoding[0].encode()))
        return Answer(status, out, file=path.with_name(path.name + encoding[1]))
    return Answer(status, out, file=path, size=entry.size)


def _encoding(entry: layout.ServedFile, accept: bytes) -> tuple[str, str, str] | None:
    if not (entry.gzip or entry.br) or not accept:
        return None
    accepted = _accepted(accept.decode("latin-1"))
    for name, suffix, tag in ENCODINGS:
        has = entry.br if name == "br" else entry.gzip
        if has and accepted.get(name, accepted.get("*", 0.0)) > 0:
            return name, suffix, tag
    return None


def _accepted(header: str) -> dict[str, float]:
    """Accept-Encoding as coding -> q ("gzip;q=0" refuses gzip)."""
    found: dict[str, float] = {}
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name.strip():
            found[name.strip().lower()] = q
    return found


def _not_modified(release: Release, etag: bytes, headers: dict) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
    match = headers.get(b"if-none-match")
    if match is not None:
        tags = [t.strip().removeprefix(b"W/") for t in match.split(b",")]
        return b"*" in tags or etag in tags
    since = headers.get(b"if-modified-since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since.decode("latin-1"))
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return release.modified_at.replace(microsecond=0) <= when
