"""Turning unpacked files into a release: the widget's embed tag in every page, sitemap.xml and
robots.txt when the site has none, fingerprinted assets, gzip siblings, and the manifest.

Everything here works inside one release's ``files/`` folder, which nothing serves yet.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import mimetypes
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit
from xml.sax.saxutils import escape

import brotli
import lxml.html
from lxml import etree

from sitespeak.hosting.layout import Manifest, ServedFile

HTML = frozenset({".html", ".htm"})
ASSETS = frozenset(
    {".css", ".js", ".mjs", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico"}
    | {".woff", ".woff2", ".ttf", ".otf", ".eot"}
)
COMPRESSIBLE = frozenset(
    {".html", ".htm", ".css", ".js", ".mjs", ".json", ".xml", ".svg", ".txt", ".map", ".ico"}
    | {".webmanifest", ".ttf", ".otf", ".eot", ".csv", ".md"}
)
MIN_COMPRESS = 256  # smaller files gain nothing from gzip's header and a second request path
# (tag, attribute) pairs whose value names one file; srcset attributes name several.
SINGLE_REFS = (
    ("link", "href"),
    ("script", "src"),
    ("img", "src"),
    ("source", "src"),
    ("video", "poster"),
    ("video", "src"),
    ("audio", "src"),
    ("input", "src"),
)
SRCSET_REFS = (("img", "srcset"), ("source", "srcset"), ("link", "imagesrcset"))
# CSS is not HTML: its references are plain url(...) and @import tokens.
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")
EMBED_SCRIPT_NAME = "/widget.js"


@dataclass(frozen=True)
class Embed:
    """The widget's script tag, as the README documents it."""

    src: str  # https://BOX/widget.js
    site_key: str
    position: str  # head-end | body-end


@dataclass
class Built:
    manifest: Manifest
    file_count: int
    bytes: int
    digest: str
    pages: list[str] = field(default_factory=list)  # release paths of the HTML pages


def build(
    files: Path,
    release: int,
    embed: Embed,
    primary_url: str,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Rewrite ``files`` in place into a servable release and return its manifest."""
    paths = sorted(_all_files(files))
    pages = [p for p in paths if PurePosixPath(p).suffix.lower() in HTML]
    present = set(paths)
    if progress:
        progress("fingerprinting")
    fingerprints = _fingerprint(files, pages, present)
    if progress:
        progress("pages")
    for page in pages:
        _rewrite_page(files / page, page, fingerprints, present, embed)
    generated = _generate_missing(files, pages, present, primary_url)
    paths = sorted(set(paths) | set(fingerprints.values()) | set(generated))
    if progress:
        progress("compressing")
    return _finish(files, release, paths, set(fingerprints.values()), pages)


def _all_files(files: Path) -> Iterable[str]:
    for folder, _dirs, names in os.walk(files):
        for name in names:
            yield Path(folder, name).relative_to(files).as_posix()


# --- fingerprints ------------------------------------------------------------------------------


def fingerprinted_name(path: str, content: bytes) -> str:
    pure = PurePosixPath(path)
    digest = hashlib.sha256(content).hexdigest()[:10]
    return str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))


def _resolve(ref: str, base: str, present: set[str]) -> str | None:
    """The release path ``ref`` (found in the file at release path ``base``) names, when it is a
    file of this release; None for other sites, data: URLs, fragments and missing files."""
    ref = ref.strip()
    if not ref or ref.startswith(("#", "data:", "//")):
        return None
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(urljoin("/" + base, parts.path)).lstrip("/")
    return path if path in present else None


def _renamed(ref: str, new_path: str) -> str:
    """``ref`` with its last path segment replaced by ``new_path``'s file name: relative stays
    relative, absolute stays absolute, query and fragment are kept."""
    parts = urlsplit(ref.strip())
    head, _, last = parts.path.rpartition("/")
    new_name = PurePosixPath(new_path).name
    encoded = quote(new_name) if unquote(last) != last else new_name
    path = f"{head}/{encoded}" if head or parts.path.startswith("/") else encoded
    return urlunsplit(parts._replace(path=path))


def _asset_refs_in_pages(files: Path, pages: list[str], present: set[str]) -> set[str]:
    found: set[str] = set()
    for page in pages:
        root = _parse(files / page)[0]
        if root is None:
            continue
        for ref in _page_refs(root):
            target = _resolve(ref, page, present)
            if target and PurePosixPath(target).suffix.lower() in ASSETS:
                found.add(target)
    return found


def _page_refs(root: lxml.html.HtmlElement) -> Iterable[str]:
    for tag, attr in SINGLE_REFS:
        for element in root.iter(tag):
            value = element.get(attr)
            if value:
                yield value
    for tag, attr in SRCSET_REFS:
        for element in root.iter(tag):
            for candidate in (element.get(attr) or "").split(","):
                if candidate.strip():
                    yield candidate.strip().split()[0]


def _fingerprint(files: Path, pages: list[str], present: set[str]) -> dict[str, str]:
    """Give each asset the pages reference (and what their CSS references) a content-named
    copy; return original path -> fingerprinted path. CSS is renamed after what it names,
    so a changed font changes its stylesheet's name too."""
    names: dict[str, str] = {}
    visiting: set[str] = set()

    def visit(path: str) -> str:
        if path in names:
            return names[path]
        visiting.add(path)
        source = files / path
        content = source.read_bytes()
        if PurePosixPath(path).suffix.lower() == ".css":
            content = _rewrite_css(content, path, present, visit, visiting)
            source.write_bytes(content)
        new = fingerprinted_name(path, content)
        if new not in present:
            os.link(source, files / new)
        names[path] = new
        visiting.discard(path)
        return new

    for asset in sorted(_asset_refs_in_pages(files, pages, present)):
        visit(asset)
    return names


def _rewrite_css(
    content: bytes,
    path: str,
    present: set[str],
    visit: Callable[[str], str],
    visiting: set[str],
) -> bytes:
    text = content.decode("utf-8", "surrogateescape")

    def replace(match: re.Match[str]) -> str:
        ref = match.group(2) or match.group(4)
        target = _resolve(ref, path, present)
        if not target or target in visiting or PurePosixPath(target).suffix.lower() not in ASSETS:
            return match.group(0)
        return match.group(0).replace(ref, _renamed(ref, visit(target)))

    return CSS_URL.sub(replace, text).encode("utf-8", "surrogateescape")


# --- pages ------------------------------------------------------------------------------------


def _parse(path: Path) -> tuple[lxml.html.HtmlElement | None, str]:
    """The page's root element and the encoding to write it back in."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        parser = lxml.html.HTMLParser(encoding="utf-8")
    except UnicodeDecodeError:
        parser = lxml.html.HTMLParser()  # the page's own <meta charset> decides
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError):
        return None, "utf-8"
    return root, root.getroottree().docinfo.encoding or "utf-8"


def _rewrite_page(
    path: Path, page: str, fingerprints: dict[str, str], present: set[str], embed: Embed
) -> None:
    root, encoding = _parse(path)
    if root is None:
        return
    for tag, attr in SINGLE_REFS:
        for element in root.iter(tag):
            value = element.get(attr)
            target = _resolve(value, page, present) if value else None
            if value and target in fingerprints:
                element.set(attr, _renamed(value, fingerprints[target]))
    for tag, attr in SRCSET_REFS:
        for element in root.iter(tag):
            if element.get(attr):
                element.set(
                    attr, _rewrite_srcset(element.get(attr, ""), page, fingerprints, present)
                )
    inject_embed(root, embed)
    had_doctype = b"<!doctype" in path.read_bytes()[:1024].lower()
    tree = root.getroottree()
    out = lxml.html.tostring(
        tree if had_doctype else root,
        doctype=tree.docinfo.doctype if had_doctype else None,
        encoding=encoding,
        method="html",
    )
    path.write_bytes(out)


def _rewrite_srcset(value: str, page: str, fingerprints: dict[str, str], present: set[str]) -> str:
    out = []
    for candidate in value.split(","):
        bits = candidate.strip().split(maxsplit=1)
        if not bits:
            continue
        target = _resolve(bits[0], page, present)
        if target in fingerprints:
            bits[0] = _renamed(bits[0], fingerprints[target])
        out.append(" ".join(bits))
    return ", ".join(out)


def is_embed(element: lxml.html.HtmlElement) -> bool:
    src = element.get("src") or ""
    return element.get("data-site-key") is not None and urlsplit(src).path.endswith(
        EMBED_SCRIPT_NAME
    )


def inject_embed(root: lxml.html.HtmlElement, embed: Embed) -> None:
    """Exactly one embed tag, where the site wants it: earlier ones (a page published before,
    or pasted by hand) are taken out first, so publishing twice never adds a second."""
    for element in [e for e in root.iter("script") if is_embed(e)]:
        element.drop_tree()
    tag = lxml.html.Element("script")
    tag.set("src", embed.src)
    tag.set("data-site-key", embed.site_key)
    tag.set("async", "")
    if embed.position == "head-end":
        head = root.find("head")
        if head is None:
            head = lxml.html.Element("head")
            root.insert(0, head)
        head.append(tag)
    else:
        root.body.append(tag)


# --- generated files --------------------------------------------------------------------------


def page_url(page: str) -> str:
    """The URL path a page answers on: a folder's index.html answers on the folder."""
    if page == "index.html" or page.endswith("/index.html"):
        return "/" + page[: -len("index.html")]
    return "/" + page


def _generate_missing(files: Path, pages: list[str], present: set[str], base: str) -> list[str]:
    made = []
    if "sitemap.xml" not in present:
        urls = sorted(page_url(p) for p in pages if PurePosixPath(p).name != "404.html")
        lines = "".join(f"  <url><loc>{escape(base + quote(u))}</loc></url>\n" for u in urls)
        (files / "sitemap.xml").write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{lines}</urlset>\n",
            encoding="utf-8",
        )
        made.append("sitemap.xml")
    if "robots.txt" not in present:
        (files / "robots.txt").write_text(
            f"User-agent: *\nAllow: /\n\nSitemap: {base}/sitemap.xml\n", encoding="utf-8"
        )
        made.append("robots.txt")
    return made


# --- manifest ---------------------------------------------------------------------------------


def _content_type(path: str) -> str:
    guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("image/svg+xml", "application/xml"):
        return f"{guessed}; charset=utf-8"
    return guessed


def _compress(source: Path, data: bytes, best: bool) -> tuple[bool, bool]:
    """Write the ``.gz`` and ``.br`` siblings that are smaller than the file; say which.
    Brotli's best quality costs ~100 times its quality 5 (tens of ms a page on this box): it
    is spent on the fingerprinted assets only, few and cached for a year."""
    if source.suffix.lower() not in COMPRESSIBLE or len(data) < MIN_COMPRESS:
        return False, False
    written = []
    for suffix, packed in (
        (".gz", gzip.compress(data, compresslevel=6, mtime=0)),
        (".br", brotli.compress(data, quality=11 if best else 5)),
    ):
        if len(packed) < len(data):
            source.with_name(source.name + suffix).write_bytes(packed)
        written.append(len(packed) < len(data))
    return written[0], written[1]


def _finish(
    files: Path, release: int, paths: list[str], immutable: set[str], pages: list[str]
) -> Built:
    served: dict[str, ServedFile] = {}
    total = 0
    lines = []
    for path in paths:
        source = files / path
        data = source.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        gz, br = _compress(source, data, best=path in immutable)
        entry = ServedFile(
            size=len(data),
            sha256=sha,
            content_type=_content_type(path),
            gzip=gz,
            br=br,
            immutable=path in immutable,
        )
        served["/" + path] = entry
        if path in pages and page_url(path) != "/" + path:
            served[page_url(path)] = replace(entry, file=path)
        total += len(data)
        lines.append(f"{sha}  {path}\n")
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    not_found = "/404.html" if "/404.html" in served else None
    manifest = Manifest(release, created, served, not_found)
    digest = hashlib.sha256("".join(lines).encode("utf-8", "surrogateescape")).hexdigest()
    return Built(manifest, len(paths), total, digest, pages)
