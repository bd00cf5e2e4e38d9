"""A loopback bakery website that embeds the widget, with hostile CSS, an order form and a
catalog button. The same pages can be served from a second origin the site does not allow."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support import site_server
from tests.support.site_server import NOT_FOUND, Reply, Respond, SiteServer

# Host CSS that would wreck an unprotected widget; the widget's must not touch the page either.
HOST_CSS = """
* { font-family: "Courier New", monospace !important; letter-spacing: 3px; }
button { background: rgb(255, 0, 0) !important; color: rgb(0, 255, 0) !important;
         width: 10px !important; }
div, section { display: block; border: 4px dashed rgb(255, 0, 255) !important; }
input { font-size: 40px !important; }
h2 { color: rgb(1, 2, 3); font-size: 21px; }
p { color: rgb(10, 20, 30); }
"""
NAV = (
    '<nav><a href="/">Home</a> <a href="/hours">Opening hours</a> '
    '<a href="/contact">Contact</a> <a href="/about">About us</a></nav>'
)
PAGES = {
    "/": (
        "Sunrise Bakery",
        """
        <h1>Sunrise Bakery</h1>
        <p>Sunrise Bakery bakes sourdough bread, croissants and cinnamon buns every morning in
        the old harbour district. Everything is baked on site with organic flour.</p>
        <h2 id="menu">Menu</h2><p>Our cinnamon buns cost 3 euros each.</p>
        <button id="newsletter" data-action="newsletter-signup">Sign up for the newsletter</button>
        """,
    ),
    "/hours": (
        "Opening hours - Sunrise Bakery",
        """
        <h1 id="opening-hours">Opening hours</h1>
        <p>We are open Monday to Friday from 7 am to 6 pm.</p>
        <p>On Saturday we open at 8 am and close at 4 pm.</p>
        <p>On Sunday we open at 9 am and close at 1 pm.</p>
        <div style="height: 1600px"></div>
        <h2 id="holidays">Holidays</h2>
        <p>The bakery is closed on Christmas Day and New Year's Day.</p>""",
    ),
    "/contact": (
        "Contact us - Sunrise Bakery",
        """
        <h1 id="contact">Contact us</h1>
        <p>Call us at 555 0100 or send an email to hello@sunrise.test.</p>
        <p>Our shop is at 12 Harbour Street, next to the ferry terminal.</p>
        <h2 id="orders">Orders</h2>
        <p>Cake orders need two days' notice and can be picked up from 10 am.</p>
        <form id="order-form" method="post" action="/order">
          <label for="name">Your name</label> <input id="name" name="name" required>
          <label for="email">Email</label> <input id="email" name="email" type="email">
          <label for="cake">Cake</label>
          <select id="cake" name="cake"><option>Sourdough</option><option>Chocolate cake</option>
          </select>
          <button type="submit">Send order</button>
        </form>""",
    ),
    "/about": (
        "About us - Sunrise Bakery",
        """
        <h1 id="story">Our story</h1>
        <p>Maria and Tom founded Sunrise Bakery in 1998 after training in Lyon.</p>""",
    ),
}


@dataclass
class Embed:
    """Filled in once the web process and the site exist; pages read it on every request."""

    web_url: str = ""
    site_key: str = ""
    extra: str = ""  # more data-* attributes


def page(path: str, embed: Embed, viewport: bool = True) -> str | None:
    """The page at ``path``; ``viewport=False`` leaves out the viewport meta tag, as many old
    sites do (a phone then lays the page out 980 px wide and shows it zoomed out)."""
    found = PAGES.get(path)
    if found is None:
        return None
    title, body = found
    script = ""
    if embed.web_url:
        script = (
            f'<script src="{embed.web_url}/widget.js" data-site-key="'
            f'{html.escape(embed.site_key)}" data-echo-cancellation="off" {embed.extra} '
            "async></script>"
        )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        + (
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            if viewport
            else ""
        )
        + f"<title>{title}</title>"
        f"<style>{HOST_CSS}</style></head><body>{NAV}<main>{body}</main>{script}"
        "</body></html>"
    )


@dataclass(frozen=True)
class Request:
    path: str
    purpose: str  # the Sec-Purpose header: "prefetch" for a prefetch, else ""


@dataclass
class Served:
    url: str
    orders: list[str]
    requests: list[Request]


def _responder(embed: Embed, orders: list[str], requests: list[Request]) -> Respond:
    def respond(request: site_server.Request) -> Reply:
        if request.method == "POST":  # the order form
            orders.append(request.body.decode())
            return Reply(200, "<html><body>Thanks for your order</body></html>", "text/html")
        requests.append(Request(request.path, request.headers.get("Sec-Purpose", "")))
        if request.target == "/robots.txt":
            return Reply(200, "User-agent: *\nAllow: /\n", "text/plain")
        body = page(request.path, embed, viewport="no-viewport" not in request.query)
        return NOT_FOUND if body is None else Reply(200, body)

    return respond


@contextmanager
def serve(embed: Embed) -> Iterator[Served]:
    orders: list[str] = []
    requests: list[Request] = []
    with SiteServer(_responder(embed, orders, requests)) as server:
        yield Served(server.url, orders, requests)
