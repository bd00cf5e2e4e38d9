"""SSRF guard: the crawler refuses private, loopback and link-local destinations unless the site
has ``allow_private``; it is applied to every hop, so a redirect cannot smuggle a request in.
A name is resolved once and the crawler connects to the address checked here (``crawl.pinned``):
resolving again at connect time would let a DNS answer change in between (DNS rebinding).

Link-local (169.254/16, fe80::/10, where cloud metadata services live), multicast, reserved and
unspecified addresses are refused even with ``allow_private``: no site needs them crawled.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class Refused(Exception):
    """A URL the crawler must not fetch; the message is the recorded reason."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _addresses(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"cannot resolve {host}: {exc.strerror}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def check_address(host: str, address: Address, allow_private: bool) -> Address:
    """``address`` (one ``host`` resolved to) if it may be fetched, else raise Refused."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    reserved = address.is_reserved and not (address.is_loopback or address.is_private)
    if address.is_link_local or address.is_multicast or address.is_unspecified or reserved:
        raise Refused(f"SSRF guard: {host} is {address}, a link-local or reserved address")
    if not allow_private and (address.is_private or address.is_loopback or not address.is_global):
        raise Refused(
            f"SSRF guard: {host} is {address}, a private or loopback "
            "address (the site does not allow private addresses)"
        )
    return address


def resolve_checked(host: str, port: int, allow_private: bool) -> list[Address]:
    """Every address ``host`` resolves to, checked; Refused if any of them may not be fetched
    (a name that also answers a private address is refused as a whole)."""
    return [check_address(host, a, allow_private) for a in _addresses(host, port)]


def check(url: str, allow_private: bool) -> None:
    """Raise Refused unless every address ``url``'s host resolves to may be fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    resolve_checked(parts.hostname, port, allow_private)
