"""The knowledge-base commands as real ``python -m sitespeak`` processes."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from sitespeak.db.models import Job
from tests.support.processes import run_command

pytestmark = pytest.mark.slow


def sitespeak(env: dict, *args: str) -> subprocess.CompletedProcess:
    return run_command(
        {**os.environ, **env, "SITESPEAK_CRAWL_MAX_BYTES": "1048576"}, *args, timeout=180
    )


def test_site_create_crawl_and_search_from_the_command_line(alice, testsite, base_env, db):
    made = sitespeak(
        base_env,
        "site",
        "create",
        "--tenant",
        alice.tenant.name,
        "--name",
        "cli-site",
        "--url",
        testsite.url + "/",
        "--allow-private",
        "--json",
    )
    assert made.returncode == 0, made.stderr
    site = json.loads(made.stdout)
    assert site["key"].startswith("pk_") and site["id"] > 0

    listed = sitespeak(base_env, "site", "list", "--tenant", alice.tenant.name, "--json")
    assert site["id"] in [s["id"] for s in json.loads(listed.stdout)]

    crawled = sitespeak(base_env, "crawl", "cli-site", "--tenant", alice.tenant.name, "--json")
    assert crawled.returncode == 0, crawled.stderr
    totals = json.loads(crawled.stdout)
    assert totals["new"] == 7 and totals["embedding"]["embedded"] > 0

    found = sitespeak(base_env, "search", str(site["id"]), "when are you open on sunday", "--json")
    assert found.returncode == 0, found.stderr
    passages = json.loads(found.stdout)["passages"]
    assert passages and "Sunday" in passages[0]["text"]

    queued = sitespeak(
        base_env, "crawl", "cli-site", "--tenant", alice.tenant.name, "--queue", "--json"
    )
    assert queued.returncode == 0, queued.stderr
    job = Job.get_by_id(json.loads(queued.stdout)["job_id"])
    assert (
        job.name == "crawl.site" and job.queue == "crawler" and job.args == {"site_id": site["id"]}
    )


def test_an_unknown_site_is_a_clear_error(base_env):
    result = sitespeak(base_env, "search", "no-such-site", "hello")
    assert result.returncode == 1 and "no site 'no-such-site'" in result.stderr


def test_a_crawl_that_indexed_nothing_exits_non_zero_with_the_reason(
    alice, testsite, make_site, base_env
):
    site = make_site(alice.tenant, testsite.url, allow_private=False)
    crawled = sitespeak(base_env, "crawl", str(site.id), "--json")
    assert crawled.returncode == 1, crawled.stderr
    assert "crawl failed: 1 page failed: 127.0.0.1 is a private address" in crawled.stderr


def test_a_private_start_url_is_refused_when_the_site_is_created(alice, testsite, base_env):
    made = sitespeak(
        base_env,
        "site",
        "create",
        "--tenant",
        alice.tenant.name,
        "--name",
        "private-site",
        "--url",
        testsite.url + "/",
    )
    assert made.returncode == 1
    assert "127.0.0.1 is a private address: allow private addresses" in made.stderr


def test_a_start_url_that_refuses_connections_is_refused_when_the_site_is_created(alice, base_env):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        made = sitespeak(
            base_env,
            "site",
            "create",
            "--tenant",
            alice.tenant.name,
            "--name",
            "down-site",
            "--url",
            f"http://127.0.0.1:{port}/",
            "--allow-private",
        )
    assert made.returncode == 1
    assert "refused the connection" in made.stderr
