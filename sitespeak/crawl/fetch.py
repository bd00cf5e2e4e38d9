"""One polite HTTP GET for the crawler: redirects followed by hand (the SSRF guard sees every
hop and each hop is recorded), conditional headers on recrawl, a hard cap on the body size, and
HTML only. Connections go to the address the guard checked (``crawl.pinned``), and the peer of
every response, on a new or a reused connection, is checked again."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from sitespeak.crawl import guard
from sitespeak.crawl.pinned import PinnedTransport, peer_of

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class Fetched:
    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    redirects: list[dict] = field(default_factory=list)
    error: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def charset(self) -> str | None:
        """The Content-Type header's charset, if it names one."""
        ctype = self.headers.get("content-type", "")
        if "charset=" not in ctype:
            return None
        return ctype.split("charset=", 1)[1].split(";")[0].strip().strip('"') or None

    def text(self) -> str:
        charset = self.charset or "utf-8"
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


class Fetcher:
    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float,
        max_bytes: int,
        max_redirects: int,
        allow_private: bool,
        connections: int = 8,
    ) -> None:
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_private = allow_private
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = httpx.Client(
            headers={"User-Agent": user_agent},
            timeout=timeout,
            follow_redirects=False,
            transport=PinnedTransport(allow_private, limits),
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        html_only: bool = True,
    ) -> Fetched:
        result = Fetched(url, url)
        headers = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(self.max_redirects + 1):
            try:
                guard.check(current, self.allow_private)
                done = self._one(current, headers, result, html_only)
            except guard.Refused as exc:
                result.error = str(exc)
                return result
            except httpx.ConnectError:
                # Not the OS's words ("Connection refused", "No route to host"): the reason is
                # shown to the tenant, and those words map out which ports are open.
                result.error = f"ConnectError: could not connect to {urlsplit(current).netloc}"
                return result
            except httpx.HTTPError as exc:
                result.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                return result
            if done:
                return result
            target = urljoin(current, result.headers.get("location", ""))
            result.redirects.append({"from": current, "to": target, "status": result.status})
            current = result.final_url = target
        result.error = f"more than {self.max_redirects} redirects"
        return result

    def _one(self, url: str, headers: dict, result: Fetched, html_only: bool) -> bool:
        """Fetch one hop into ``result``; False means "follow the redirect"."""
        with self._client.stream("GET", url, headers=headers) as response:
            peer = peer_of(response)
            if peer is not None:  # new or reused (pooled), before a byte of its body is read
                guard.check_address(urlsplit(url).hostname or "", peer, self.allow_private)
            result.status = response.status_code
            result.headers = {k.lower(): v for k, v in response.headers.items()}
            if response.is_redirect and "location" in result.headers:
                _drain(response)
                return False
            if response.status_code == 304:
                _drain(response)
                return True
            if response.status_code >= 400:
                result.error = f"HTTP {response.status_code}"
                _drain(response)
                return True
            ctype = result.headers.get("content-type", "").split(";")[0].strip().lower()
            if html_only and ctype not in HTML_TYPES:
                result.error = f"not HTML ({ctype or 'no content type'})"
                return True
            declared = result.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                result.error = f"too large: {declared} bytes (limit {self.max_bytes})"
                return True
            body = bytearray()
            for piece in response.iter_bytes():
                body += piece
                if len(body) > self.max_bytes:
                    result.error = f"too large: over {self.max_bytes} bytes"
                    return True
            result.body = bytes(body)
            return True


def _drain(response: httpx.Response, limit: int = 65536) -> None:
    """Read a small unwanted body so the connection goes back to the pool (an unread response
    is closed, and the next request pays for a new connection)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) <= limit:
        response.read()
