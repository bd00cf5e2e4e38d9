"""`honcho start` with the repo's Procfile brings up the speech process, the web and the worker on
the environment's servers, and stops them all on SIGTERM."""

from __future__ import annotations

import sys

from tests.dev.support import alive, bare_env, family, launch, run_echo, terminate, wait_ready
from tests.support.processes import ROOT, free_port, speech_hello, wait_for


def test_honcho_start_serves_ready_and_runs_an_echo_job_on_the_procfile_worker(
    base_env, alice, tmp_path
) -> None:
    port = free_port()
    # A socket of its own: the run's speech process may listen in the shared state dir.
    socket_path = tmp_path / "speech.sock"
    env = bare_env(**base_env, SITESPEAK_PORT=str(port), SITESPEAK_SPEECH_SOCKET=str(socket_path))
    log = tmp_path / "honcho.log"
    honcho = launch(
        [sys.executable, "-m", "honcho", "start", "-f", str(ROOT / "Procfile")], env, log
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(url, honcho, log)
        # Stopped only once it is up: a SIGTERM while the models load would race the others.
        wait_for(lambda: speech_hello(socket_path), timeout=120, what="the speech process")
        job = run_echo(url, alice.token, "hello from honcho", queue="ai")
        assert job["status"] == "succeeded", job
        assert job["result"] == {"message": "hello from honcho", "queue": "ai"}
        children = family(honcho.pid)
    finally:
        rc = terminate(honcho)
    output = log.read_text()
    for name in ("speech", "web", "worker"):
        assert f"{name}.1 started" in output, output
    assert rc in (0, 143), output
    for name in ("speech", "web", "worker"):
        assert f"{name}.1 stopped (rc=0)" in output, output
    assert not alive(children - {honcho.pid}), output
