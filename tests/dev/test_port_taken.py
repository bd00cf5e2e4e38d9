"""Two installs never share a port (issue 16, item 3): `dev` and the web process refuse to
start on a port something already listens on, and say which setting to change."""

from __future__ import annotations

import socket
import subprocess

from tests.dev.support import bare_env
from tests.support.processes import free_port, run_command


def listening() -> socket.socket:
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)  # as Granian listens
    taken.bind(("127.0.0.1", free_port()))
    taken.listen()
    return taken


def run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    return run_command(bare_env(**env), *args)


def test_dev_refuses_a_port_in_use_and_names_the_setting(tmp_path):
    with listening() as taken:
        port = taken.getsockname()[1]
        done = run(["dev"], SITESPEAK_STATE_DIR=str(tmp_path), SITESPEAK_PORT=str(port))
    assert done.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "SITESPEAK_PORT" in done.stderr
    assert not (tmp_path / "embedded").exists()  # refused before starting anything


def test_the_web_process_refuses_a_port_in_use(tmp_path, base_env):
    with listening() as taken:
        port = taken.getsockname()[1]
        done = run([], **{**base_env, "PROCESS_TYPE": "web", "SITESPEAK_PORT": str(port)})
    assert done.returncode != 0, done.stdout
    assert "SITESPEAK_PORT" in done.stderr, done.stderr
