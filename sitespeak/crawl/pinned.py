"""An httpx transport whose connections go to the address the SSRF guard checked.

httpx resolves a host name itself when it opens a connection; a guard that resolved it a moment
earlier may have seen a different answer (DNS rebinding: a public address for the check, then
127.0.0.1 for the connection). Here the network backend resolves and checks the name and opens
the TCP connection to that very address, while httpcore keeps using the URL's host for the Host
header and for TLS (SNI and certificate verification), so nothing else changes for the site.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
import typing

import httpcore
import httpx

from sitespeak.crawl import guard


class GuardedBackend(httpcore.SyncBackend):
    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        last: Exception | None = None
        for address in guard.resolve_checked(host, port, self.allow_private):
            try:
                return super().connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc  # the next address of the name may answer
        raise last or httpcore.ConnectError(f"{host} has no address")


@functools.cache
def verifying_context() -> ssl.SSLContext:
    """Loading the CA bundle costs ~50 ms of CPU, and every fetcher built two of these; one
    context serves every connection of the process (an SSLContext may be shared)."""
    return httpx.create_ssl_context(trust_env=False)


class PinnedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` with its pool built on ``GuardedBackend`` (httpx 0.28 takes no
    network backend itself, so the pool it made is replaced by the same one with ours)."""

    def __init__(self, allow_private: bool, limits: httpx.Limits) -> None:
        super().__init__(verify=verifying_context(), limits=limits, trust_env=False)
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=verifying_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private),
        )


def peer_of(response: httpx.Response) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address the response came from (a pooled connection may be reused for it)."""
    stream = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    return ipaddress.ip_address(peer[0].split("%")[0]) if peer else None
