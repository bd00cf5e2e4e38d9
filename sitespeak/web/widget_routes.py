"""The embeddable widget's files and the owner's try-it page.

``/widget.js`` revalidates often (ETag, five minutes) so a page's one script tag picks up new
releases; ``/widget/<version>/...`` is immutable for a year. Both are public static code and carry
CORS headers (the capture worklet is fetched in CORS mode). What the widget may *do* is decided
on ``/voice-ws``, which checks the site's allowed origins.

The try-it page ``/sites/<id>/try`` needs a signed-in admin-UI session (editor or higher), or an
API token with the write scope in ``?token=`` for scripts and tests. It shows the owner's real
site in a frame behind the widget when the site's headers (as crawled) let any site frame it,
else a clean preview with questions taken from the site.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import html
from dataclasses import dataclass
from importlib import resources
from urllib.parse import urlsplit

from quart import Blueprint, Response, request

from sitespeak import sites
from sitespeak.errors import Forbidden, NotFound, Unauthorized
from sitespeak.knowledge.models import Page
from sitespeak.releases import serving
from sitespeak.voice import answer as answerer
from sitespeak.voice.persona import site_persona
from sitespeak.voice.turn import look_up
from sitespeak.web.auth import _lookup
from sitespeak.web.runtime import runtime
from sitespeak.web.signed_in import load_admin

bp = Blueprint("widget", __name__)
FILES = {"widget.js": "application/javascript", "capture-worklet.js": "application/javascript"}
SHORT_CACHE = "public, max-age=300, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Bundle:
    version: str
    files: dict[str, bytes]
    gzipped: dict[str, bytes]


@functools.lru_cache(maxsize=1)
def bundle() -> Bundle:
    """The widget files, read once; the version names their combined content."""
    raw = {name: (resources.files("sitespeak.widget") / name).read_bytes() for name in FILES}
    version = hashlib.sha256(b"".join(raw[n] for n in sorted(raw))).hexdigest()[:12]
    raw["widget.js"] = raw["widget.js"].replace(b"__SITESPEAK_VERSION__", version.encode())
    # Compressed once here: the web process may face browsers without a compressing proxy.
    return Bundle(version, raw, {n: gzip.compress(b, 9, mtime=0) for n, b in raw.items()})


def _static(name: str, cache: str) -> Response:
    found = bundle()
    zipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    body = found.gzipped[name] if zipped else found.files[name]
    etag = f'"{found.version}-{name}{"-gz" if zipped else ""}"'
    headers = {
        "Cache-Control": cache,
        "ETag": etag,
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Vary": "Accept-Encoding",
    }
    if zipped:
        headers["Content-Encoding"] = "gzip"
    if etag in request.headers.get("If-None-Match", ""):
        return Response(b"", 304, headers)
    return Response(body, 200, headers, mimetype=FILES[name])


@bp.get("/widget.js")
async def widget_js() -> Response:
    return _static("widget.js", SHORT_CACHE)


@bp.get("/widget/<version>/<name>")
async def versioned(version: str, name: str) -> Response:
    if name not in FILES or version != bundle().version:
        raise NotFound(
            f"no widget file {name!r} in version {version!r} (current: {bundle().version})"
        )
    return _static(name, IMMUTABLE)


# --- the try-it page ----------------------------------------------------------------------------


async def _owner_tenant() -> int:
    token = request.args.get("token", "")
    if token:
        caller = await runtime().db.run(_lookup, token)
        caller.require("write")
        return caller.tenant_id
    admin = await load_admin()
    if admin is None or admin.tenant_id is None:
        raise Unauthorized("sign in to the admin UI (or pass ?token=sst_... with the write scope)")
    if not admin.can("write"):
        raise Forbidden("the try-it page needs the editor role or higher")
    return admin.tenant_id


def _heading_texts(page: Page) -> list[str]:
    return [h.get("text", "") if isinstance(h, dict) else str(h) for h in page.headings or []]


def _short(page: Page | None) -> str:
    return " ".join(((page.title if page else "") or "").split(" - ")[0].split()).lower()


def _candidates(pages: list[Page], limit: int = 12) -> list[str]:
    """What a visitor might ask, from the site itself: its pages' section headings (then their
    titles), each once, the start page's first."""
    seen: list[str] = []
    for text in [h for p in pages for h in _heading_texts(p)[1:]] + [p.title for p in pages]:
        text = " ".join((text or "").split(" - ")[0].split())
        if 2 < len(text) <= 60 and text.lower() not in {s.lower() for s in seen}:
            seen.append(text)
    return seen[:limit]


def _preview(tenant_id: int, site_id: str) -> tuple[dict, list[str], list[str]]:
    site = sites.get_site(tenant_id, site_id)
    pages = list(
        Page.select()
        .where(Page.site == site.id, Page.status == "ok")
        .order_by(Page.depth, Page.id)
        .limit(12)
    )
    start = pages[0] if pages else None
    headings = _heading_texts(start)[:12] if start else []
    options = serving.serving_options(site)  # the greeting of its live release
    return (
        {
            "id": site.id,
            "name": site.name,
            "greeting": site_persona(options).greeting(site.name, options.get("greeting", "")),
            "key": site.key,
            "start": site.start_urls[0],
            "title": start.title if start else site.name,
            "frame": _frameable(start),
        },
        headings,
        # The site's own name is no question.
        [c for c in _candidates(pages) if c.lower() not in {site.name.lower(), _short(start)}],
    )


def _frameable(start: Page | None) -> str:
    """The start page's address when its headers (as the last crawl saw them) let any site
    frame it, else "" (the try page then shows its own clean preview)."""
    if start is None or start.frame_policy != "any":
        return ""
    url = start.final_url or start.url
    return url if urlsplit(url).scheme in ("http", "https") else ""


async def _answerable(site_id: int, candidates: list[str], search, limit: int = 6) -> list[str]:
    """Only suggestions the site really answers (the built-in answerer covers them): a
    suggested question that gets "I couldn't find that" would mislead the owner."""
    kept = []
    for text in candidates:
        question = f"{text}?"
        if answerer.answer(question, await look_up(site_id, question, search)).covered:
            kept.append(text)
            if len(kept) == limit:
                break
    return kept


TRY_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Try SiteSpeak: {name}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
padding: 0 1rem">
<p><small>SiteSpeak preview of <a href="{start}">{start}</a>: the widget below talks to this
site's knowledge base. Page actions act on this preview page.</small></p>
<h1>{title}</h1>{suggested}{outline}
<script src="/widget/{version}/widget.js" data-site-key="{key}"
data-greeting="{greeting}" async></script></body></html>"""


# The owner's real site fills the page behind the widget, when it allows being framed.
TRY_FRAMED = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Try SiteSpeak: {name}</title></head>
<body style="margin: 0; height: 100vh; display: flex; flex-direction: column;
font-family: system-ui, sans-serif">
<header style="flex: none; padding: .4rem 1rem; background: #f5f7fa;
border-bottom: 1px solid #dde3ea"><small>SiteSpeak preview of <a href="{start}">{start}</a>,
your site in a frame: the widget talks to this site's knowledge base. Page actions act on this
preview page, not inside the frame.</small>{suggested}</header>
<iframe src="{frame}" title="{title}" referrerpolicy="no-referrer"
sandbox="allow-scripts allow-same-origin allow-forms allow-popups"
style="flex: 1; width: 100%; border: 0"></iframe>
<script src="/widget/{version}/widget.js" data-site-key="{key}"
data-greeting="{greeting}" async></script></body></html>"""


def _csp(frame: str = "") -> str:
    ws = "wss" if request.scheme in ("https", "wss") else "ws"
    parts = urlsplit(frame)
    framed = f"frame-src {parts.scheme}://{parts.netloc}; " if frame else ""
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"connect-src 'self' {ws}://{request.host}; media-src 'self' blob:; img-src 'self' "
        f"data:; {framed}frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


@bp.get("/sites/<site_id>/try")
async def try_it(site_id: str) -> Response:
    tenant_id = await _owner_tenant()
    rt = runtime()
    info, headings, candidates = await rt.db.run(_preview, tenant_id, site_id)
    ideas = await _answerable(int(info.pop("id")), candidates, rt.knowledge.search)
    safe = {k: html.escape(str(v)) for k, v in info.items()}
    outline = "".join(f"<h2>{html.escape(h)}</h2>" for h in headings if h and h != info["title"])
    # Buttons the widget answers (data-sitespeak-ask): no script of the page's own is needed.
    suggested = (
        '<section aria-label="Suggested questions"><p>Try asking:</p><p>'
        + " ".join(
            f'<button type="button" data-sitespeak-ask="{html.escape(q)}?" '
            f'style="margin:0 .3rem .4rem 0;padding:.35rem .7rem;border-radius:1rem;'
            f'border:1px solid #c8cfda;background:#fff;font:inherit;cursor:pointer">'
            f"{html.escape(q)}</button>"
            for q in ideas
        )
        + "</p></section>"
        if ideas
        else ""
    )
    template = TRY_FRAMED if info["frame"] else TRY_PAGE
    page = template.format(outline=outline, suggested=suggested, version=bundle().version, **safe)
    return Response(
        page,
        200,
        {
            "Content-Security-Policy": _csp(info["frame"]),
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
        mimetype="text/html",
    )
