"""The web process's speech client during an outage: turns arriving together share one
reconnect attempt, and its failure, instead of each trying again in turn."""

from __future__ import annotations

import asyncio

import pytest

from sitespeak.errors import SpeechUnavailable
from sitespeak.settings import Settings
from sitespeak.speech.client import SpeechClient


async def test_calls_waiting_on_a_failed_reconnect_fail_with_it_and_the_next_call_tries_again(
    tmp_path,
):
    accepted = 0

    async def dies_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A speech process that goes away as soon as it is reached (it is restarting)."""
        nonlocal accepted
        accepted += 1
        writer.close()

    path = tmp_path / "speech.sock"
    server = await asyncio.start_unix_server(dies_at_once, str(path))
    client = SpeechClient(Settings(speech_socket=str(path), state_dir=tmp_path))
    try:
        calls = [client.transcribe(b"\x00" * 3200) for _ in range(30)]
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), 10)
        assert all(isinstance(r, SpeechUnavailable) for r in results), results
        assert accepted == 1
        with pytest.raises(SpeechUnavailable, match="went away"):
            await client.transcribe(b"\x00" * 3200)
        assert accepted == 2
    finally:
        client.close()
        server.close()
        await server.wait_closed()
