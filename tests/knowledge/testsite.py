"""A small website served on loopback for the knowledge-base tests: navigation, sections with
headings and ids, a sitemap index, robots.txt with a Disallow, JSON-LD LocalBusiness hours, an
FAQ page, a form, a page reachable only by a link, a redirect, a 404, ETag/Last-Modified, and
pages that must fail (malformed, huge, not HTML). Pages can be changed or removed live, and
every request is logged."""

from __future__ import annotations

import hashlib
import threading
import time

from tests.support.site_server import Reply, Request, SiteServer, redirect

LAST_MODIFIED = "Tue, 01 Dec 2026 08:00:00 GMT"

NAV = """<header><nav><a href="/">Home</a> <a href="/hours">Hours</a> <a href="/faq">FAQ</a>
<a href="/contact">Contact</a> <a href="/about">About us</a> <a href="/old-menu">Menu</a>
<a href="/missing">Old news</a> <a href="/private/staff">Staff</a></nav></header>"""

LOCAL_BUSINESS = """<script type="application/ld+json">{"@context": "https://schema.org",
"@type": "Bakery", "name": "Rosie's Bakery", "telephone": "+1 555 0142",
"address": {"@type": "PostalAddress", "streetAddress": "12 Mill Lane", "addressLocality":
"Brookfield", "postalCode": "40210"},
"openingHoursSpecification": [
 {"@type": "OpeningHoursSpecification", "dayOfWeek": ["Monday", "Tuesday", "Wednesday",
  "Thursday", "Friday"], "opens": "07:00", "closes": "18:00"},
 {"@type": "OpeningHoursSpecification", "dayOfWeek": "https://schema.org/Saturday",
  "opens": "08:00", "closes": "16:00"},
 {"@type": "OpeningHoursSpecification", "dayOfWeek": "https://schema.org/Sunday",
  "opens": "09:00", "closes": "13:00"}]}</script>"""

FAQ_LD = """<script type="application/ld+json">{"@context": "https://schema.org",
"@type": "FAQPage", "mainEntity": [
 {"@type": "Question", "name": "Do you bake gluten-free bread?", "acceptedAnswer":
  {"@type": "Answer", "text": "Yes, a gluten-free loaf is baked every Wednesday and Friday."}},
 {"@type": "Question", "name": "Can I order a birthday cake?", "acceptedAnswer":
  {"@type": "Answer", "text": "Birthday cakes can be ordered three days in advance."}}]}</script>"""


def page(title: str, body: str, head: str = "") -> str:
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title>{head}</head><body>"
        f"{NAV}<main>{body}</main><footer>Copyright Rosie's Bakery</footer></body></html>"
    )


def default_pages() -> dict[str, str]:
    return {
        "/": page(
            "Rosie's Bakery",
            """<h1 id="welcome">Welcome to Rosie's Bakery</h1>
<p>A family bakery in Brookfield since 1982, baking sourdough and pastries every morning.</p>
<section id="bread"><h2>Our bread</h2><p>We bake rye, spelt and white sourdough loaves from
organic flour, fermented for thirty hours.</p></section>
<section id="coffee"><h2>Coffee</h2><p>Espresso drinks are made with beans from a local
roaster. Oat milk costs nothing extra.</p></section>""",
            LOCAL_BUSINESS,
        ),
        "/hours": page(
            "Opening hours",
            """<h1 id="hours">Opening hours</h1>
<p>The shop is open Monday to Friday from 7am to 6pm, Saturday from 8am to 4pm and Sunday
from 9am to 1pm.</p><h2 id="holidays">Public holidays</h2><p>On public holidays the bakery
is closed, except on Easter Monday.</p><p><a href="/print/hours">Printable version</a></p>""",
        ),
        "/print/hours": page(
            "Opening hours (print)",
            "<h1>Opening hours</h1><p>Printable copy of our opening hours.</p>",
            '<link rel="canonical" href="/hours">',
        ),
        "/faq": page(
            "Frequently asked questions",
            """<h1>Frequently asked questions</h1>
<h2 id="gluten">Do you bake gluten-free bread?</h2><p>Yes, a gluten-free loaf is baked every
Wednesday and Friday.</p><h2 id="cakes">Can I order a birthday cake?</h2><p>Birthday cakes can
be ordered three days in advance.</p>""",
            FAQ_LD,
        ),
        "/contact": page(
            "Contact",
            """<h1 id="contact">Contact us</h1><p>Write to us and the
team answers within one working day.</p><form action="/contact/send" method="post">
<label for="name">Your name</label><input id="name" name="name" required>
<label>Email <input type="email" name="email" required></label>
<textarea name="message" aria-label="Message"></textarea><button type="submit">Send</button>
</form><button data-action="open-map">Show the map</button>""",
        ),
        "/about": page(
            "About us",
            """<h1 id="about">About us</h1><p>Rosie started baking in her
grandmother's kitchen. Meet <a href="/team">the team</a> behind the ovens.</p>
<a href="/malformed">Old page</a> <a href="/huge">Archive</a> <a href="/brochure">Brochure</a>""",
        ),
        "/team": page(
            "The team",
            """<h1 id="team">The team</h1><p>Our head baker Tomasz starts
the ovens at four in the morning; Amira decorates every celebration cake.</p>""",
        ),
        "/menu": page(
            "Menu",
            """<h1 id="menu">Menu</h1><p>Croissant 2.40, cinnamon bun 3.10,
sourdough loaf 5.50.</p>""",
        ),
        "/private/staff": page("Staff only", "<h1>Staff rota</h1><p>Secret rota.</p>"),
    }


class LoopbackSite:
    def __init__(self, delay: float = 0.0, extra_pages: int = 0) -> None:
        self.pages = default_pages()
        for i in range(extra_pages):  # a bigger site, for the slow-crawl test
            self.pages[f"/extra/{i}"] = page(
                f"Extra page {i}",
                f"<h1 id='e{i}'>Extra {i}</h1><p>Filler page number {i} about loaf {i}.</p>",
            )
        self.delay = delay
        self.crawl_delay: float | None = None
        self.redirects: dict[str, str] = {}  # path -> Location, added by a test
        self.huge_bytes = 3 * 1024 * 1024
        self.failing: int | None = None  # a status every request gets (the site is down)
        # Requests after the first ``hold_after`` wait for ``released`` (0: none waits): a test
        # holds a crawl mid-way while it stops the crawl's worker, however fast the box is.
        self.hold_after = 0
        self.released = threading.Event()
        self.server = SiteServer(self.respond)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def requests(self) -> list[str]:
        return [r.target for r in self.server.requests]

    @property
    def hosts(self) -> list[str]:
        """The Host header of each request."""
        return [r.headers.get("Host", "") for r in self.server.requests]

    def __enter__(self) -> LoopbackSite:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(None, None, None)

    def fetched(self, path: str) -> int:
        return self.requests.count(path)

    def times(self) -> list[float]:
        return [r.at for r in self.server.requests]

    def sitemap_paths(self) -> list[str]:
        listed = ["/", "/hours", "/faq", "/contact", "/private/staff", "/missing", "/exit"]
        return listed + sorted(p for p in self.pages if p.startswith("/extra/"))

    def respond(self, request: Request) -> Reply:
        if self.delay:
            time.sleep(self.delay)
        if self.hold_after and len(self.server.requests) > self.hold_after:
            self.released.wait(60)
        path = request.path
        if self.failing is not None:
            return Reply(self.failing, "<h1>Server error</h1>", "text/html")
        if path == "/robots.txt":
            delay = f"Crawl-delay: {self.crawl_delay}\n" if self.crawl_delay else ""
            body = (
                f"User-agent: *\nDisallow: /private/\n{delay}\n"
                f"Sitemap: {self.url}/sitemap_index.xml\n"
            )
            return Reply(200, body, "text/plain")
        if path == "/sitemap_index.xml":
            body = (
                "<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/"
                f"sitemap/0.9'><sitemap><loc>{self.url}/sitemap-pages.xml</loc></sitemap>"
                "</sitemapindex>"
            )
            return Reply(200, body, "application/xml")
        if path == "/sitemap-pages.xml":
            urls = "".join(
                f"<url><loc>{self.url}{p}</loc><lastmod>2026-11-30</lastmod></url>"
                for p in self.sitemap_paths()
            )
            body = (
                "<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/"
                f"sitemap/0.9'>{urls}</urlset>"
            )
            return Reply(200, body, "application/xml")
        if path in self.redirects:
            return redirect(self.redirects[path])
        if path == "/old-menu":
            return redirect("/menu", 301)
        if path == "/exit":
            return redirect("http://169.254.169.254/latest/meta-data/", 301)
        if path == "/malformed":
            return Reply(200, b"\x00\x00\x00", "text/html")
        if path == "/huge":
            return Reply(200, b"<p>" + b"x" * self.huge_bytes, "text/html")
        if path == "/brochure":
            return Reply(200, b"%PDF-1.4 not a page", "application/pdf")
        html = self.pages.get(path)
        if html is None:
            return Reply(404, "<h1>Not found</h1>", "text/html")
        return self._page(request, html.encode())

    @staticmethod
    def _page(request: Request, body: bytes) -> Reply:
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Reply(304, content_type=None, headers={"ETag": etag})
        return Reply(200, body, headers={"ETag": etag, "Last-Modified": LAST_MODIFIED})
