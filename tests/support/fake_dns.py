"""A stand-in for the DNS: chosen host names answer chosen addresses, in turn, to every resolver
of the process (``socket.getaddrinfo``, which the SSRF guard and httpx's connections both use);
every other name resolves as usual. A list of answers plays a rebinding attack: the first lookup
gets the first address, later ones the next, the last one repeating."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> Iterator[dict]:
    real = socket.getaddrinfo
    asked: dict[str, int] = {name: 0 for name in answers}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # noqa: A002 - socket's
        name = host.decode() if isinstance(host, bytes) else host
        if name not in answers:
            return real(host, port, family, type, proto, flags)
        turn = min(asked[name], len(answers[name]) - 1)
        asked[name] += 1
        address = answers[name][turn]
        fam = socket.AF_INET6 if ":" in address else socket.AF_INET
        sockaddr = (
            (address, int(port or 0), 0, 0) if fam == socket.AF_INET6 else (address, int(port or 0))
        )
        return [(fam, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield asked
