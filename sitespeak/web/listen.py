"""Refuse to serve a port that another process already serves.

Granian listens with SO_REUSEPORT, so a second install started on the same port would print
that it listens and the kernel would deal requests out between two installs (two databases).
A plain bind without SO_REUSEPORT fails on a port anyone listens on: that is the check."""

from __future__ import annotations

import errno
import socket

from sitespeak.errors import SettingsError
from sitespeak.settings import Settings


def ensure_port_free(settings: Settings) -> None:
    host, port = settings.host, settings.port
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SettingsError(
                    f"port {port} on {host} is already in use (another SiteSpeak, or another "
                    f"program): stop it, or set SITESPEAK_PORT to a free port"
                ) from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise SettingsError(
                    f"{host} is not an address of this machine: set SITESPEAK_HOST"
                ) from None
            raise
