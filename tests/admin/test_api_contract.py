"""schemathesis against the OpenAPI document of a real web process, with a real API token:
whatever it generates from the document, the server never answers 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.admin.conftest import QUIET_ENV
from tests.support.processes import start_web

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def web(base_env, tmp_path_factory):
    proc = start_web({**base_env, **QUIET_ENV}, tmp_path_factory.mktemp("contract"))
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def api_schema(web):
    schema = schemathesis.openapi.from_url(web.url + "/api/v1/openapi.json")
    # The event stream never ends by design; the skeleton tests cover it.
    return schema.exclude(path="/api/v1/events")


def test_no_generated_api_call_gets_a_server_error(api_schema, alice):
    # Driven by hand: schemathesis' pytest plugin does not run under pytest 9 yet.
    failures: list[str] = []
    statuses: list[int] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        _explore(operation, alice.token, failures, statuses)
    assert len(statuses) >= 3 * len(operations)
    assert any(200 <= s < 300 for s in statuses)  # the token really opened doors
    assert not failures, "\n".join(failures[:20])


def _explore(operation, token: str, failures: list[str], statuses: list[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=15)
        statuses.append(response.status_code)
        if response.status_code >= 500:
            failures.append(
                f"{operation.label}: {response.status_code} for "
                f"{case.as_curl_command()}\n{response.text[:300]}"
            )

    check()
