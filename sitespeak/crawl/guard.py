"""SSRF guard: the crawler refuses private, loopback and link-local destinations unless the site
has ``allow_private``; it is applied to every hop, so a redirect cannot smuggle a request in.

Link-local (169.254/16, fe80::/10, where cloud metadata services live), multicast, reserved and
unspecified addresses are refused even with ``allow_private``: no site needs them crawled.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class Refused(Exception):
    """A URL the crawler must not fetch; the message is the recorded reason."""


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Refused(f"cannot resolve {host}: {exc.strerror}") from None
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check(url: str, allow_private: bool) -> None:
    """Raise Refused unless every address ``url``'s host resolves to may be fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in _addresses(parts.hostname, port):
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        reserved = address.is_reserved and not (address.is_loopback or address.is_private)
        if address.is_link_local or address.is_multicast or address.is_unspecified or reserved:
            raise Refused(
                f"SSRF guard: {parts.hostname} is {address}, a link-local or reserved address"
            )
        if not allow_private and (
            address.is_private or address.is_loopback or not address.is_global
        ):
            raise Refused(
                f"SSRF guard: {parts.hostname} is {address}, a private or loopback "
                "address (the site does not allow private addresses)"
            )
