"""A speech process on host:port (SITESPEAK_SPEECH_SOCKET=host:port) serves only connections
that prove SITESPEAK_SPEECH_SECRET; others are refused with a reason, and logged. A Unix socket
keeps relying on its file permissions (the other speech tests use one, with no secret)."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from sitespeak.errors import SpeechUnavailable
from sitespeak.settings import Settings
from sitespeak.speech import protocol as wire
from sitespeak.speech.client import SpeechClient
from tests.support.processes import Proc, free_port, spawn, start_web, wait_for
from tests.voice.client import ask_text, open_session
from tests.voice.conftest import VOICE_ENV

pytestmark = pytest.mark.slow
SECRET = "correct horse battery staple"


def start_tcp_speech(env: dict, log_dir: Path, timeout: float = 120) -> Proc:
    proc = spawn({**env, "PROCESS_TYPE": "speech"}, [], log_dir / "speech-tcp.log")
    address = wire.parse_address(env["SITESPEAK_SPEECH_SOCKET"], log_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"speech process exited {proc.popen.returncode}:\n{proc.output()}")
        try:
            wire.hello(address, secret=SECRET)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.stop()
    raise TimeoutError(f"speech process not ready after {timeout}s:\n{proc.output()}")


@pytest.fixture(scope="module")
def tcp_env(base_env) -> dict[str, str]:
    return {
        **base_env,
        **VOICE_ENV,
        "SITESPEAK_SPEECH_SOCKET": f"127.0.0.1:{free_port()}",
        "SITESPEAK_SPEECH_SECRET": SECRET,
    }


@pytest.fixture(scope="module")
def tcp_speech(tcp_env, tmp_path_factory):
    proc = start_tcp_speech(tcp_env, tmp_path_factory.mktemp("tcp-speech"))
    yield proc
    proc.stop()


def client(env: dict, secret: str) -> SpeechClient:
    return SpeechClient(
        Settings(speech_socket=env["SITESPEAK_SPEECH_SOCKET"], speech_secret=secret)
    )


async def test_a_web_process_with_the_secret_speaks_through_a_speech_process_on_a_port(
    tcp_env, tcp_speech, voice_site, tmp_path
):
    web = start_web(tcp_env, tmp_path, 60)
    try:
        ws, _ = await open_session(web.url, voice_site.origin, voice_site.key)
        try:
            turn = await ask_text(ws, "What is your phone number?")
        finally:
            await ws.close()
        assert "555 0100" in turn.done["text"]
        assert turn.audio_frames > 0 and not turn.of("error")
    finally:
        web.stop()
    address = wire.parse_address(tcp_env["SITESPEAK_SPEECH_SOCKET"], tmp_path)
    assert wire.hello(address, secret=SECRET)["pid"] == tcp_speech.popen.pid  # what check asks


async def test_a_connection_without_the_right_secret_is_refused_with_a_reason_and_logged(
    tcp_env, tcp_speech, tmp_path
):
    wrong = client(tcp_env, "guessed")
    with pytest.raises(SpeechUnavailable, match="refused the connection: wrong secret"):
        await wrong.transcribe(b"\x00" * 3200)
    wrong.close()
    unset = client(tcp_env, "")
    with pytest.raises(SpeechUnavailable, match="SITESPEAK_SPEECH_SECRET is not set"):
        await unset.ready()
    address = wire.parse_address(tcp_env["SITESPEAK_SPEECH_SOCKET"], tmp_path)
    with pytest.raises(PermissionError, match="wrong secret"):
        wire.hello(address, secret="guessed")

    # A client that knows nothing of the handshake gets no answer to its request.
    with socket.create_connection((address.host, address.port), timeout=5) as raw:
        raw.sendall(wire.encode({"id": 1, "op": "health"}))
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    frames = []
    while received:
        head, size = wire.PREFIX.unpack(received[: wire.PREFIX.size])
        start = wire.PREFIX.size
        frames.append(json.loads(received[start : start + head]))
        received = received[start + head + size :]
    assert [frame.get("op") or frame.get("error") for frame in frames] == [
        "challenge",
        "unauthorized",
    ]
    assert not any("health" in frame for frame in frames)

    wait_for(
        lambda: tcp_speech.output().count("refused a speech connection from") >= 3,
        10,
        what="the refusals in the speech process's log",
    )
    right = client(tcp_env, SECRET)
    try:
        assert (await right.health())["status"] == "ok"  # the refusals cost it nothing
    finally:
        right.close()


def test_a_speech_process_on_a_port_without_a_secret_refuses_to_start(tcp_env, tmp_path):
    env = {**tcp_env, "SITESPEAK_SPEECH_SECRET": "", "PROCESS_TYPE": "speech"}
    proc = spawn(env, [], tmp_path / "speech.log")
    try:
        assert proc.popen.wait(60) != 0
    finally:
        proc.stop()
    assert "set SITESPEAK_SPEECH_SECRET" in proc.output()
