"""Publishing and rollback as the visitors see them: each request is answered from one whole
release even while ``current`` is switched under it many times, and every web process serving
the same state dir switches at the same moment (no cache of the links, no message to miss)."""

from __future__ import annotations

import asyncio
import hashlib
import threading

import httpx
import pytest

from tests.hosting.conftest import DOMAIN, hosted_env
from tests.support.hosted_sites import link_host, make_live, write_release
from tests.support.processes import start_web

SITE = 201
HOST = f"gamma.{DOMAIN}"
ASKED = {"Host": HOST, "Accept-Encoding": "identity"}
PAGES = 12


def release_files(number: int) -> dict[str, str]:
    """Pages of different lengths per release, so a body mixing two releases or cut short
    cannot pass for either."""
    files = {
        f"/p{i}.html": f"<h1>release {number} page {i}</h1>"
        + f"<p>r{number}</p>" * (i + number * 7)
        for i in range(PAGES)
    }
    files["/404.html"] = f"<h1>release {number} has no such page</h1>"
    files[f"/only-in-{number}.html"] = f"<h1>only in release {number}</h1>"
    return files


@pytest.fixture(scope="module")
def gamma(hosted_web) -> dict[int, dict[str, str]]:
    releases = {n: release_files(n) for n in (1, 2)}
    for number, files in releases.items():
        write_release(hosted_web.state_dir, SITE, number, files, not_found="/404.html")
    make_live(hosted_web.state_dir, SITE, 1)
    link_host(hosted_web.state_dir, HOST, SITE)
    return releases


def release_of(response: httpx.Response, releases: dict[int, dict[str, str]], path: str) -> int:
    """The one release the response belongs to: its body is that release's file and its ETag
    (from that release's manifest) is the body's hash."""
    body = response.content
    assert response.headers["etag"].strip('"') == hashlib.sha256(body).hexdigest()[:32]
    owners = [n for n, files in releases.items() if files.get(path, "").encode() == body]
    assert len(owners) == 1, (path, body[:80])
    return owners[0]


def test_requests_in_flight_during_repeated_switches_each_see_one_whole_release(hosted_web, gamma):
    stop = threading.Event()
    switches = 0

    def switch_back_and_forth() -> None:
        nonlocal switches
        while not stop.is_set():
            make_live(hosted_web.state_dir, SITE, 2 if switches % 2 == 0 else 1)
            switches += 1

    async def visitor(client: httpx.AsyncClient, start: int) -> list[int]:
        seen = []
        for i in range(60):
            path = f"/p{(start + i) % PAGES}.html"
            response = await client.get(path, headers=ASKED)
            assert response.status_code == 200
            seen.append(release_of(response, gamma, path))
        return seen

    async def visitors() -> list[int]:
        async with httpx.AsyncClient(base_url=hosted_web.url) as client:
            found = await asyncio.gather(*(visitor(client, n) for n in range(8)))
        return [n for seen in found for n in seen]

    switcher = threading.Thread(target=switch_back_and_forth)
    switcher.start()
    try:
        seen = asyncio.run(visitors())
    finally:
        stop.set()
        switcher.join()
    make_live(hosted_web.state_dir, SITE, 1)
    assert switches > 10
    assert set(seen) == {1, 2}, "the switches happened while the requests were in flight"


def test_a_rollback_brings_back_the_earlier_releases_pages_and_404(hosted_web, gamma):
    def get(path: str) -> httpx.Response:
        return httpx.get(hosted_web.url + path, headers=ASKED)

    make_live(hosted_web.state_dir, SITE, 2)
    assert get("/only-in-2.html").status_code == 200
    make_live(hosted_web.state_dir, SITE, 1)
    gone = get("/only-in-2.html")
    assert gone.status_code == 404
    assert gone.text == gamma[1]["/404.html"]
    assert get("/only-in-1.html").text == gamma[1]["/only-in-1.html"]


def test_two_web_processes_on_one_state_dir_switch_together(
    hosted_web, gamma, base_env, tmp_path_factory
):
    env = hosted_env(base_env, hosted_web.state_dir)
    second = start_web(env, tmp_path_factory.mktemp("second-web"))
    try:
        for number in (2, 1, 2):
            make_live(hosted_web.state_dir, SITE, number)
            for proc_url in (hosted_web.url, second.url):
                response = httpx.get(proc_url + "/p3.html", headers=ASKED)
                assert release_of(response, gamma, "/p3.html") == number, proc_url
    finally:
        second.stop()
        make_live(hosted_web.state_dir, SITE, 1)
