"""Why a crawl indexed nothing, told the way an owner can act on it: each recorded failure
reason is paired with the fix, and a start URL is probed when the site is saved so a URL that
can never work is refused before any crawl starts."""

from __future__ import annotations

import re
import socket
from urllib.parse import urlsplit

from sitespeak.crawl import guard
from sitespeak.errors import InvalidInput

PROBE_TIMEOUT = 3.0
_PRIVATE = re.compile(r"SSRF guard: (\S+) is (\S+), a private or loopback")
_UNRESOLVED = re.compile(r"cannot resolve (\S+)")


def explain(reason: str) -> str:
    """The reason followed by what to do about it (the reason alone when no fix is known)."""
    if match := _PRIVATE.search(reason):
        host, address = match.groups()
        shown = host if host == address else f"{host} ({address})"
        return (
            f"{shown} is a private address: allow private addresses for this site (an instance "
            "superuser can, in the site form; the operator with `sitespeak site allow-private`)"
        )
    if match := _UNRESOLVED.search(reason):
        return f"{match.group(1)} cannot be resolved: check the host name of the start URL"
    if "refused" in reason.lower():
        return (
            f"{reason}: the site refused the connection; check that it is up and the port is right"
        )
    if "ConnectError" in reason:
        return f"{reason}: check that the site is up and the port is right"
    if "Timeout" in reason:
        return f"{reason}: the site did not answer in time; check that it is up"
    if reason.startswith("HTTP 404") or reason.startswith("HTTP 410"):
        return f"{reason}: the page does not exist; check the start URL"
    if reason.startswith("HTTP 401") or reason.startswith("HTTP 403"):
        return f"{reason}: the site refuses the crawler; the page must be public"
    if reason.startswith("not HTML"):
        return f"{reason}: the start URL must be an HTML page"
    return reason


def failure_summary(reasons: list[str], failed: int, limit: int = 3) -> str:
    """One line for the run: how many pages failed and the first distinct reasons, explained."""
    distinct: list[str] = []
    for reason in reasons:
        text = explain(reason)
        if text not in distinct:
            distinct.append(text)
    pages = f"{failed} page{'s' if failed != 1 else ''} failed"
    return f"{pages}: " + "; ".join(distinct[:limit]) if distinct else pages


def probe_start_url(url: str, allow_private: bool) -> str | None:
    """None when ``url`` may be crawled, otherwise the explained reason it cannot be: a private
    address without permission, a host that does not resolve, or a port that refuses."""
    try:
        guard.check(url, allow_private)
    except guard.Refused as exc:
        return explain(str(exc))
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT):
            return None
    except ConnectionRefusedError:
        return explain(f"ConnectError: connection to {parts.netloc} refused")
    except OSError:
        # Timeouts and unreachable networks may be passing: the crawl will tell.
        return None


def check_start_urls(urls: list[str], allow_private: bool) -> None:
    """Raise InvalidInput naming the first start URL that can never be crawled."""
    for url in urls:
        problem = probe_start_url(url, allow_private)
        if problem:
            raise InvalidInput(f"start URL {url}: {problem}")
