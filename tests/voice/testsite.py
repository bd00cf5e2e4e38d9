"""A small bakery website served on loopback, for crawling and asking questions about."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.site_server import NOT_FOUND, Reply, Request, SiteServer

NAV = (
    '<nav><a href="/">Home</a> <a href="/hours">Opening hours</a> '
    '<a href="/contact">Contact</a> <a href="/about">About us</a></nav>'
)


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html lang='en'><head><title>{title}</title></head><body>{NAV}"
        f"<main>{body}</main></body></html>"
    )


PAGES = {
    "/": _page(
        "Sunrise Bakery",
        """
        <h1>Sunrise Bakery</h1>
        <p>Sunrise Bakery bakes sourdough bread, croissants and cinnamon buns every morning in
        the old harbour district. Everything is baked on site with organic flour.</p>
        <p>Visit our <a href="/hours">opening hours</a> page or <a href="/contact">contact
        us</a> for orders.</p>""",
    ),
    "/hours": _page(
        "Opening hours - Sunrise Bakery",
        """
        <h1 id="opening-hours">Opening hours</h1>
        <p>We are open Monday to Friday from 7 am to 6 pm.</p>
        <p>On Saturday we open at 8 am and close at 4 pm.</p>
        <p>On Sunday we open at 9 am and close at 1 pm.</p>
        <h2 id="holidays">Holidays</h2>
        <p>The bakery is closed on Christmas Day and New Year's Day.</p>""",
    ),
    "/contact": _page(
        "Contact us - Sunrise Bakery",
        """
        <h1 id="contact">Contact us</h1>
        <p>Call us at 555 0100 or send an email to hello@sunrise.test.</p>
        <p>Our shop is at 12 Harbour Street, next to the ferry terminal.</p>
        <h2 id="orders">Orders</h2>
        <p>Cake orders need two days' notice and can be picked up from 10 am.</p>""",
    ),
    "/about": _page(
        "About us - Sunrise Bakery",
        """
        <h1 id="story">Our story</h1>
        <p>Maria and Tom founded Sunrise Bakery in 1998 after training in Lyon.</p>
        <p>Today a team of eight bakers works through the night.</p>""",
    ),
}


def _respond(request: Request) -> Reply:
    if request.path == "/robots.txt":
        return Reply(200, "User-agent: *\nAllow: /\n", "text/plain")
    body = PAGES.get(request.path)
    return NOT_FOUND if body is None else Reply(200, body)


@contextmanager
def serve_site() -> Iterator[str]:
    with SiteServer(_respond) as server:
        yield server.url
