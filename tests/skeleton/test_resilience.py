"""What happens when things go wrong: Redis disappears, a process is told to stop, a worker dies
in the middle of a job."""

from __future__ import annotations

import signal

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
    # A long grace, so that only a stream that held the stop runs it out; whether one did is
    # read from the log, not from the clock.
    web = start_web(queue_env, tmp_path, SITESPEAK_SHUTDOWN_GRACE="60")
    stream = SseReader(web.url, alice.token)  # an open, in-flight response
    web.popen.send_signal(signal.SIGTERM)
    code = web.popen.wait(120)  # a hang guard
    assert code == 0, web.output()
    assert "draining done: stopping" in web.output()
    # The stream's goodbye let the stop through: the grace never ran out on it.
    assert "at the end of the grace" not in web.output(), web.output()
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
def test_an_idle_worker_stops_by_itself_on_sigint_or_sigterm(
    queue_env, tmp_path, graceful_signal
) -> None:
    worker = start_worker(queue_env, tmp_path, SITESPEAK_WORKER_QUEUES="voice")
    wait_for(lambda: _worker_up(worker.output), timeout=60, what="worker started")
    # The timeout is a hang guard: a worker that ignored the signal would be killed (status -9),
    # one that took the default action would end with -15 or a KeyboardInterrupt's 1.
    assert worker.stop(graceful_signal, timeout=90) == 0, worker.output()
    assert "queue voice: consumer stopped" in worker.output()
    assert "worker stopped" in worker.output()


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

        # The event can reach the stream after the API shows the job done: wait for it. Then a
        # later job's success, through the same worker and stream: a second success of the
        # first (which must not come) would have been published before it.
        wait_for(successes, what="the success event")
        marker = httpx.post(
            web.url + "/api/v1/jobs",
            headers=headers,
            json={"queue": "analytics", "name": "echo"},
        ).json()["id"]
        wait_for(
            lambda: any(
                e["data"].get("id") == marker and e["data"]["status"] == "succeeded"
                for e in stream.events
            ),
            what="the later job's success event",
        )
        assert len(successes()) == 1
    finally:
        if second:
            second.stop()
        web.stop()
