"""The real processes: PROCESS_TYPE dispatch, a job submitted over HTTP runs on a worker, its
status and its events reach the caller, and nothing of one tenant reaches another."""

from __future__ import annotations

import json
import subprocess
import threading

import httpx
import pytest

from tests.conftest import own_queues
from tests.support.processes import run_command, start_web, start_worker, wait_for


def _run_entrypoint(env: dict) -> subprocess.CompletedProcess:
    return run_command({"PATH": "/usr/bin:/bin", "SITESPEAK_ENV_FILE": "", **env})


@pytest.mark.parametrize("value", ["", "scheduler"])
def test_an_unknown_or_missing_process_type_exits_2_naming_the_valid_values(value: str) -> None:
    done = _run_entrypoint({"PROCESS_TYPE": value} if value else {})
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "PROCESS_TYPE must be one of: web, worker" in done.stderr


def test_web_without_a_database_url_says_how_to_get_one() -> None:
    done = _run_entrypoint({"PROCESS_TYPE": "web"})
    assert done.returncode == 1
    assert "DATABASE_URL and REDIS_URL not set" in done.stderr
    assert "sitespeak dev" in done.stderr


@pytest.fixture(scope="module")
def stack(base_env, tmp_path_factory):
    logs = tmp_path_factory.mktemp("logs")
    env = own_queues(base_env)
    web = start_web(env, logs)
    worker = start_worker(env, logs)
    yield web, worker
    # The clean exit is what a started worker owes; one stopped while still importing (a short
    # module run on a busy box) just dies of the SIGTERM, having nothing to finish.
    wait_for(lambda: "worker consuming" in worker.output(), 60, 0.2, "the worker to start")
    assert worker.stop() == 0, worker.output()
    assert web.stop() == 0, web.output()


def _auth(persona) -> dict:
    return {"Authorization": f"Bearer {persona.token}"}


def _submit(web, persona, body: dict) -> httpx.Response:
    return httpx.post(web.url + "/api/v1/jobs", json=body, headers=_auth(persona), timeout=10)


def _status(web, persona, job_id: str) -> dict:
    return httpx.get(f"{web.url}/api/v1/jobs/{job_id}", headers=_auth(persona), timeout=10).json()


class SseReader:
    """Reads /api/v1/events in a thread, keeping every event it sees."""

    def __init__(self, url: str, token: str) -> None:
        self.events: list[dict] = []
        self.connected = threading.Event()
        self.closing_seen = False
        self._thread = threading.Thread(target=self._read, args=(url, token), daemon=True)
        self._thread.start()
        assert self.connected.wait(60), "SSE stream did not open"  # a hang guard

    def _read(self, url: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            with httpx.stream("GET", url + "/api/v1/events", headers=headers, timeout=30) as resp:
                for line in resp.iter_lines():
                    if line.startswith(": connected"):
                        self.connected.set()
                    if line == "event: server.closing":
                        self.closing_seen = True
                    if line.startswith("data: ") and "data" in (event := json.loads(line[6:])):
                        self.events.append(event)
        except httpx.HTTPError:
            pass  # the server stopped at the end of the module


@pytest.mark.parametrize(
    "queue", ["critical", "ai", "crawler", "voice", "analytics", "maintenance"]
)
def test_an_echo_job_submitted_over_http_succeeds_on_every_queue(stack, alice, queue) -> None:
    web, _ = stack
    resp = _submit(web, alice, {"queue": queue, "name": "echo", "args": {"message": queue}})
    assert resp.status_code == 201, resp.text
    job_id = resp.json()["id"]
    done = wait_for(
        lambda: (s := _status(web, alice, job_id))["status"] == "succeeded" and s,
        what=f"echo on {queue}",
    )
    assert done["result"] == {"message": queue, "queue": queue}
    assert done["attempts"] == 1


def test_the_worker_says_once_what_it_consumes_without_huey_banners(stack) -> None:
    _, worker = stack
    log = worker.output()
    assert log.count("worker consuming critical, ai, crawler, voice, analytics, maintenance") == 1
    assert "Huey consumer started" not in log and "Periodic tasks are" not in log
    assert "INFO huey" not in log


def test_job_updates_stream_to_the_tenant_as_server_sent_events(stack, alice, charlie) -> None:
    web, _ = stack
    alice_stream = SseReader(web.url, alice.token)
    charlie_stream = SseReader(web.url, charlie.token)
    job_id = _submit(web, alice, {"name": "echo", "args": {"message": "sse"}}).json()["id"]
    statuses = wait_for(
        lambda: (
            (
                seen := [
                    e["data"]["status"]
                    for e in alice_stream.events
                    if e["data"].get("id") == job_id
                ]
            )
            and "succeeded" in seen
            and seen
        ),
        what="succeeded event",
    )
    assert statuses[0] == "queued" and "running" in statuses
    assert all(e["type"] == "job.updated" for e in alice_stream.events)
    assert not [e for e in charlie_stream.events if e["data"].get("id") == job_id]


def test_the_same_idempotency_key_returns_the_first_job(stack, alice) -> None:
    web, _ = stack
    body = {"name": "echo", "args": {"message": "once"}, "idempotency_key": "k-1"}
    first, second = _submit(web, alice, body), _submit(web, alice, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]


def test_another_tenant_cannot_see_a_job(stack, alice, charlie) -> None:
    web, _ = stack
    job_id = _submit(web, alice, {"name": "echo"}).json()["id"]
    resp = httpx.get(f"{web.url}/api/v1/jobs/{job_id}", headers=_auth(charlie), timeout=10)
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"


def test_a_read_only_token_cannot_submit(stack, bob) -> None:
    web, _ = stack
    resp = _submit(web, bob, {"name": "echo"})
    assert resp.status_code == 403 and "write" in resp.json()["detail"]


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"name": "nope"}, 422, "'nope' is not a job you can submit; submit one of: echo"),
        ({"name": "crawl.site", "args": {"site_id": 1}}, 422, "'crawl.site' is not a job you"),
        ({"name": "echo", "queue": "emails"}, 400, "does not run on queue 'emails'"),
        ({"name": "echo", "args": {"message": 5}}, 400, "args for 'echo'"),
        ({"name": "echo", "colour": "red"}, 422, "colour"),
        ({}, 422, "name"),
    ],
)
def test_bad_job_requests_get_a_precise_problem(stack, alice, body, status, fragment) -> None:
    web, _ = stack
    resp = _submit(web, alice, body)
    assert resp.status_code == status
    assert resp.headers["content-type"] == "application/problem+json"
    assert fragment in resp.json()["detail"]


def test_requests_without_a_valid_token_are_refused(stack) -> None:
    web, _ = stack
    for headers in ({}, {"Authorization": "Bearer sst_wrong"}, {"Authorization": "Basic x"}):
        resp = httpx.post(web.url + "/api/v1/jobs", json={"name": "echo"}, headers=headers)
        assert resp.status_code == 401, headers


def test_malformed_json_is_a_clear_error(stack, alice) -> None:
    web, _ = stack
    resp = httpx.post(
        web.url + "/api/v1/jobs",
        content=b"{nope",
        headers={**_auth(alice), "Content-Type": "application/json"},
    )
    assert resp.status_code == 422 and "json" in resp.json()["detail"].lower()


def test_a_failing_job_is_retried_with_backoff_then_dead_and_visible(stack, alice) -> None:
    web, _ = stack
    job_id = _submit(web, alice, {"name": "fail", "args": {"message": "boom"}}).json()["id"]
    dead = wait_for(
        lambda: (s := _status(web, alice, job_id))["status"] == "dead" and s,
        timeout=60,
        what="dead job",
    )
    assert dead["attempts"] == 3
    assert "RuntimeError: boom" in dead["error"]


def test_health_reports_dependencies_heartbeats_and_queue_depths(stack) -> None:
    web, _ = stack
    wait_for(
        lambda: len(httpx.get(web.url + "/health").json()["worker_heartbeats"]) == 6,
        what="heartbeats of all six queues",
    )
    body = httpx.get(web.url + "/health").json()
    assert body["process_type"] == "web" and body["version"]
    assert body["dependencies"]["postgres"]["ok"] and body["dependencies"]["redis"]["ok"]
    assert set(body["queue_depths"]) == {
        "critical",
        "ai",
        "crawler",
        "voice",
        "analytics",
        "maintenance",
    }
    # Every queue's worker has beaten (how recently is a busy box's business: "alive" says it).
    assert all(beat["last_seen_s"] is not None for beat in body["worker_heartbeats"].values())
    assert httpx.get(web.url + "/health/live").status_code == 200


def test_metrics_are_prometheus_text(stack) -> None:
    web, _ = stack
    httpx.get(web.url + "/health/live")
    httpx.get(web.url + "/health/ready")
    text = httpx.get(web.url + "/metrics").text
    for name in (
        "sitespeak_http_requests_total",
        "sitespeak_http_request_seconds_bucket",
        "sitespeak_queue_depth",
        "sitespeak_jobs",
        "sitespeak_event_loop_lag_seconds",
    ):
        assert name in text
    assert 'route="/health/live"' in text  # served by the fast path, still counted
    assert 'route="/health/ready"' in text


def test_cli_tenant_create_is_idempotent_and_tokens_work(stack, base_env) -> None:
    web, _ = stack
    env = {**base_env, "PATH": "/usr/bin:/bin"}

    def cli(*args: str) -> subprocess.CompletedProcess:
        return run_command(env, *args)

    first, again = cli("tenant", "create", "Gamma", "--json"), cli("tenant", "create", "Gamma")
    assert json.loads(first.stdout)["created"] is True
    assert again.returncode == 0 and "already exists" in again.stdout
    token = json.loads(cli("token", "create", "--tenant", "Gamma", "--json").stdout)["token"]
    resp = httpx.post(
        web.url + "/api/v1/jobs",
        json={"name": "echo"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status_code == 201
    missing = cli("token", "create", "--tenant", "Nobody")
    assert missing.returncode == 1 and "no tenant named 'Nobody'" in missing.stderr


def test_check_reports_every_dependency(base_env) -> None:
    done = run_command({**base_env, "PATH": "/usr/bin:/bin"}, "check", "--json")
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["ok"]
    assert set(report["checks"]) == {"settings", "postgres", "redis", "state_dir", "speech"}
    bad = run_command(
        {**base_env, "PATH": "/usr/bin:/bin", "REDIS_URL": "redis://127.0.0.1:1/0"}, "check"
    )
    assert bad.returncode == 1
    assert "FAIL redis" in bad.stdout and "ok   postgres" in bad.stdout
