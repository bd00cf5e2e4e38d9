"""/metrics of a web process with several Granian workers shows all of them together, not
whichever worker happened to answer."""

from __future__ import annotations

import re

import httpx
import pytest
from prometheus_client import CONTENT_TYPE_LATEST

from tests.support.processes import start_web, wait_for

pytestmark = pytest.mark.slow


def samples(text: str, name: str) -> list[tuple[str, float]]:
    found = re.findall(rf"^{name}(\{{[^}}]*\}})? ([0-9.e+-]+)$", text, re.MULTILINE)
    return [(labels, float(value)) for labels, value in found]


def test_metrics_of_two_web_workers_are_rendered_together(base_env, tmp_path):
    env = {**base_env, "SITESPEAK_STATE_DIR": str(tmp_path), "SITESPEAK_WEB_WORKERS": "2"}
    web = start_web(env, tmp_path, 60)
    try:
        for _ in range(20):
            assert httpx.get(web.url + "/api/v1/openapi.json", timeout=10).status_code == 200

        def both_workers() -> str | None:
            response = httpx.get(web.url + "/metrics", timeout=10)
            lag = samples(response.text, "sitespeak_event_loop_lag_seconds")
            return response if len({labels for labels, _ in lag}) >= 2 else None

        response = wait_for(both_workers, timeout=60, every=0.5, what="both workers' lag")
        assert response.headers["content-type"] == CONTENT_TYPE_LATEST
        served = samples(response.text, "sitespeak_http_requests_total")
        openapi = [v for labels, v in served if "/api/v1/openapi.json" in labels]
        assert sum(openapi) >= 20  # every request counted, whichever worker took it
    finally:
        web.stop()
