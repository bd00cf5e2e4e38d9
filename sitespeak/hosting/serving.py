"""How a request for a hosted site is answered, decided without touching the network layer.

The host name picks the site (``layout.live_release_dir``: two link reads, no database); the
release's manifest is the allow-list of what may be served, so a URL path is only ever a key
looked up in it, never joined onto a disk path. What comes out is an ``Answer``: status, headers
and which file (of an immutable release) is the body, which the web layer sends.

This runs for every request of a hosted page, so paths are plain strings (pathlib costs more
than the rest) and each file's headers are built once per release and encoding.
"""

from __future__ import annotations

import functools
import os
from collections import OrderedDict
from dataclasses import dataclass, field
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
NOT_FOUND_BODY = b"Not found\n"
NOT_ALLOWED_BODY = b"Method not allowed\n"
UNAVAILABLE_BODY = b"This site is being updated; try again in a moment.\n"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    file: str | None = None  # the body is this file's content
    body: bytes = b""
    size: int | None = None  # the file's length when known without a stat


@dataclass(frozen=True)
class Prepared:
    """One file of a release in one encoding, as its 200 is sent."""

    etag: bytes
    headers: list[tuple[bytes, bytes]]
    file: str
    size: int | None  # known for the file itself, not for a compressed copy


@dataclass
class Release:
    """A live release as loaded once: its directory and manifest, derived header values, and
    the prepared answers of the files asked for so far."""

    path: str
    manifest: layout.Manifest
    last_modified: bytes
    modified_at: datetime
    prepared: dict[tuple[str, str], Prepared | None] = field(default_factory=dict)


class ReleaseCache:
    """Releases by directory: a release never changes, so one read of its manifest serves every
    request until it leaves the cache (least recently used first, at most ``limit``)."""

    def __init__(self, limit: int = 256) -> None:
        self.limit = limit
        self._found: OrderedDict[str, Release] = OrderedDict()
        self._lock = Lock()  # loads run in threads

    def cached(self, path: str) -> Release | None:
        with self._lock:
            found = self._found.get(path)
            if found is not None:
                self._found.move_to_end(path)
            return found

    def load(self, path: str) -> Release:
        """Read and keep ``path``'s manifest (blocking: call it off the event loop)."""
        text = Path(path, layout.MANIFEST).read_text()
        manifest = layout.Manifest.from_json(text)
        modified = datetime.fromisoformat(manifest.created_at)
        release = Release(
            os.path.normpath(path),
            manifest,
            format_datetime(modified, usegmt=True).encode(),
            modified,
        )
        with self._lock:
            self._found[path] = release
            self._found.move_to_end(path)
            while len(self._found) > self.limit:
                self._found.popitem(last=False)
        return release


class HostRouter:
    """Which requests are a hosted site's: by the Host header only, never the admin's host."""

    def __init__(self, state_dir: Path, admin_host: str, domain: str) -> None:
        self.hosts_dir = str(layout.hosted_root(state_dir.absolute()) / "hosts")
        self.admin_host = admin_host.lower()
        self.domain = domain.lower()
        self._domain_suffix = "." + self.domain

    def hosted_name(self, host: bytes | None) -> str | None:
        """The host name a request is for when it may be a hosted site's, else None: the admin's
        own host, localhost and IP addresses always belong to the app (uploaded HTML must never
        share an origin with the admin UI's cookies)."""
        if not host or host[0] == 0x5B:  # none, or an IPv6 literal ("[::1]:5000")
            return None
        name = host.decode("latin-1").lower().rsplit(":", 1)[0].strip().rstrip(".")
        if (
            name == self.admin_host
            or name == "localhost"
            or name.endswith(".localhost")
            or name[-1:].isdigit()  # no top-level domain is numeric: an IPv4 address
            or not layout.is_hostname(name)
        ):
            return None
        return name

    def release_for(self, name: str) -> str | None:
        return layout.live_release_dir(self.hosts_dir, name)

    def in_hosted_domain(self, name: str) -> bool:
        """A name under the hosted-sites domain is never the app's, even with no site on it."""
        return bool(self.domain) and (name == self.domain or name.endswith(self._domain_suffix))


def answer(release: Release, method: str, path: str, query: bytes, headers: dict) -> Answer:
    """The answer to ``method path`` in ``release``; ``headers`` maps lower-case request
    header names (bytes) to their values (bytes)."""
    if method not in METHODS:
        return _plain(405, NOT_ALLOWED_BODY, [(b"allow", b"GET, HEAD")])
    files = release.manifest.files
    key = path
    if key not in files and path.endswith("/"):  # a manifest that lists no folder URLs
        key = path + "index.html"
    if key not in files:
        folder = path + "/"
        if not path.startswith("//") and (folder in files or folder + "index.html" in files):
            return _redirect(folder, query)
        return not_found(release, headers)
    return _file_answer(release, key, headers, 200)


def not_found(release: Release | None, headers: dict | None = None) -> Answer:
    """The release's own 404 page when it has one, else a plain one."""
    page = release.manifest.not_found if release is not None else None
    if release is not None and page and page in release.manifest.files:
        return _file_answer(release, page, headers or {}, 404)
    return _plain(404, NOT_FOUND_BODY, [(b"cache-control", SHORT_CACHE)])


def unavailable() -> Answer:
    """A release that vanished under us twice (pruned while switching): try again shortly."""
    return _plain(503, UNAVAILABLE_BODY, [(b"retry-after", b"1"), (b"cache-control", b"no-store")])


def _plain(status: int, body: bytes, extra: list[tuple[bytes, bytes]]) -> Answer:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), *extra, *SECURITY_HEADERS]
    return Answer(status, headers, body=body, size=len(body))


def _redirect(location: str, query: bytes) -> Answer:
    target = location.encode("utf-8") + (b"?" + query if query else b"")
    return Answer(
        301, [(b"location", _quote(target)), (b"cache-control", SHORT_CACHE), *SECURITY_HEADERS]
    )


def _quote(raw: bytes) -> bytes:
    """Percent-encode what may not appear raw in a header (non-ASCII, controls, space)."""
    return b"".join(b"%%%02X" % c if c <= 0x20 or c >= 0x7F else bytes((c,)) for c in raw)


def _file_answer(release: Release, key: str, headers: dict, status: int) -> Answer:
    entry = release.manifest.files[key]
    encoding = _encoding(entry, headers.get(b"accept-encoding", b""))
    slot = (key, encoding[0] if encoding else "")
    if slot not in release.prepared:
        release.prepared[slot] = _prepare(release, key, entry, encoding)
    prepared = release.prepared[slot]
    if prepared is None:  # a manifest naming a file outside its release
        return not_found(None)
    if status == 200 and _not_modified(release, prepared.etag, headers):
        return Answer(304, [h for h in prepared.headers if h[0] != b"content-type"])
    return Answer(status, prepared.headers, file=prepared.file, size=prepared.size)


def _prepare(
    release: Release, key: str, entry: layout.ServedFile, encoding: tuple[str, str, str] | None
) -> Prepared | None:
    name = release.manifest.file_of(key) or ""
    if not layout.is_inside_name(name):
        return None
    tag = encoding[2] if encoding else ""
    etag = b'"%s%s"' % (entry.sha256[:32].encode(), tag.encode())
    out = [
        (b"content-type", entry.content_type.encode()),
        (b"etag", etag),
        (b"last-modified", release.last_modified),
        (b"cache-control", IMMUTABLE_CACHE if entry.immutable else SHORT_CACHE),
        *SECURITY_HEADERS,
    ]
    if entry.gzip or entry.br:
        out.append((b"vary", b"Accept-Encoding"))
    path = f"{release.path}/{layout.FILES}/{name}"
    if encoding:
        out.append((b"content-encoding", encoding[0].encode()))
        return Prepared(etag, out, path + encoding[1], None)
    return Prepared(etag, out, path, entry.size)


def _encoding(entry: layout.ServedFile, accept: bytes) -> tuple[str, str, str] | None:
    if not (entry.gzip or entry.br) or not accept:
        return None
    accepted = _accepted(accept)
    for name, suffix, tag in ENCODINGS:
        has = entry.br if name == "br" else entry.gzip
        if has and accepted.get(name, accepted.get("*", 0.0)) > 0:
            return name, suffix, tag
    return None


@functools.lru_cache(maxsize=256)  # browsers send a handful of distinct values
def _accepted(raw: bytes) -> dict[str, float]:
    """Accept-Encoding as coding -> q ("gzip;q=0" refuses gzip); callers must not change it."""
    found: dict[str, float] = {}
    for part in raw.decode("latin-1").split(","):
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
