"""What happens when things go wrong: Redis disappears, a process is told to stop, a worker dies
in the middle of a job."""

from __future__ import annotations

import signal
import time

import httpx
import pytest

from tests.skeleton.test_processes import SseReader
from tests.support.processes import start_web, start_worker, wait_for
from tests.support.redis_server import OwnRedis

pytestmark = pytest.mark.slow  # real web and worker processes, servers of their own


def _ready(url: str) -> int:
    try:
        return httpx.get(url + "/health/ready", timeout=3).status_code
    except httpx.HTTPError:
        return 0


def test_readiness_follows_redis_and_events_resume_after_it_returns(
    queue_env, tmp_path, alice
) -> None:
    own = OwnRedis(tmp_path)
    own.start()
    env = {**queue_env, "REDIS_URL": own.url}
    web = start_web(env, tmp_path)
    worker = start_worker(env, tmp_path)
    try:
        own.stop()
        wait_for(lambda: _ready(web.url) == 503, what="503 without redis")
        response = httpx.get(web.url + "/health/ready")
        body = response.json()
        assert body["dependencies"]["redis"]["ok"] is False
        assert body["dependencies"]["postgres"]["ok"] is True
        assert response.headers["Retry-After"].isdigit()
        # The open endpoint names what is down, not the driver's text with addresses and ports;
        # the operator's /health (loopback here) still has it.
        assert "error" not in body["dependencies"]["redis"]
        assert str(own.port) not in response.text
        assert httpx.get(web.url + "/health").json()["dependencies"]["redis"]["error"]
        own.start()  # same port: the same server address comes back
        wait_for(lambda: _ready(web.url) == 200, what="200 after redis returned")
        wait_for(
            lambda: httpx.get(web.url + "/health").json()["events_connected"],
            timeout=60,
            what="event hub resubscribed",
        )
        stream = SseReader(web.url, alice.token)
        job_id = httpx.post(
            web.url + "/api/v1/jobs",
            json={"name": "echo"},
            headers={"Authorization": f"Bearer {alice.token}"},
        ).json()["id"]
        wait_for(
            lambda: any(
                e["data"].get("id") == job_id and e["data"]["status"] == "succeeded"
                for e in stream.events
            ),
            what="event after redis returned",
        )
    finally:
        worker.stop()
        web.stop()
        own.stop()


def test_sigterm_drains_the_web_process_and_it_exits_0(queue_env, tmp_path, alice) -> None:
    # A long grace: a stream that held the stop until it ran out is told from one that ended
    # at once (the 3 s drain delay, then the exit) by far more than a loaded box's slowness.
    web = start_web(queue_env, tmp_path, SITESPEAK_SHUTDOWN_GRACE="60")
    stream = SseReader(web.url, alice.token)  # an open, in-flight response
    started = time.monotonic()
    web.popen.send_signal(signal.SIGTERM)
    code = web.popen.wait(90)
    took = time.monotonic() - started
    assert code == 0, web.output()
    # Well inside the grace, after which Granian would kill it: the stream ended at once.
    assert took < 30
    assert "draining" in web.output()
    assert _ready(web.url) == 0  # nothing listens any more
    wait_for(lambda: not stream._thread.is_alive(), timeout=30, what="stream ended")
    assert stream.closing_seen


def test_sigterm_lets_the_worker_finish_its_running_job(queue_env, tmp_path, alice) -> None:
    web = start_web(queue_env, tmp_path)
    worker = start_worker(queue_env, tmp_path, SITESPEAK_WORKER_QUEUES="ai")
    headers = {"Authorization": f"Bearer {alice.token}"}
    try:
        job_id = httpx.post(
            web.url + "/api/v1/jobs",
            headers=headers,
            json={"queue": "ai", "name": "sleep", "args": {"seconds": 2}},
        ).json()["id"]

        def status() -> dict:
            return httpx.get(f"{web.url}/api/v1/jobs/{job_id}", headers=headers).json()

        wait_for(lambda: status()["status"] == "running", what="job running")
        assert worker.stop(signal.SIGTERM, timeout=20) == 0, worker.output()
        assert status()["status"] == "succeeded"
    finally:
        worker.stop()
        web.stop()


def _worker_up(output) -> bool:
    return "worker consuming" in output()


@pytest.mark.parametrize("graceful_signal", [signal.SIGINT, signal.SIGTERM])
def test_an_idle_worker_stops_at_once_on_sigint_or_sigterm(
    queue_env, tmp_path, graceful_signal
) -> None:
    worker = start_worker(queue_env, tmp_path, SITESPEAK_WORKER_QUEUES="voice")
    wait_for(lambda: _worker_up(worker.output), timeout=60, what="worker started")
    started = time.monotonic()
    assert worker.stop(graceful_signal) == 0, worker.output()
    assert time.monotonic() - started < 5


def test_a_job_whose_worker_is_killed_is_requeued_and_succeeds_once(
    queue_env, tmp_path, alice
) -> None:
    web = start_web(queue_env, tmp_path)
    first = start_worker(queue_env, tmp_path, "first", SITESPEAK_WORKER_QUEUES="analytics")
    headers = {"Authorization": f"Bearer {alice.token}"}
    stream = SseReader(web.url, alice.token)
    second = None
    try:
        job_id = httpx.post(
            web.url + "/api/v1/jobs",
            headers=headers,
            json={"queue": "analytics", "name": "sleep", "args": {"seconds": 3}},
        ).json()["id"]

        def status() -> dict:
            return httpx.get(f"{web.url}/api/v1/jobs/{job_id}", headers=headers).json()

        wait_for(lambda: status()["status"] == "running", what="job running on first worker")
        first.popen.kill()  # kill -9: no chance to clean up
        first.popen.wait(5)
        second = start_worker(queue_env, tmp_path, "second", SITESPEAK_WORKER_QUEUES="analytics")
        done = wait_for(
            lambda: (s := status())["status"] == "succeeded" and s,
            timeout=60,
            what="job finished by the second worker",
        )
        assert done["attempts"] == 2
        assert done["result"] == {"slept": 3.0}

        def successes() -> list[dict]:
            return [
                e
                for e in stream.events
                if e["data"].get("id") == job_id and e["data"]["status"] == "succeeded"
            ]

        # The event can reach the stream after the API shows the job done: wait for it, then
        # give a second success (which must not come) a moment to show up.
        wait_for(successes, what="the success event")
        time.sleep(1)
        assert len(successes()) == 1
    finally:
        if second:
            second.stop()
        web.stop()
