"""The page-action catalog over the real API, and the voice session honouring it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess

import httpx
import pytest

from tests.support.processes import run_command
from tests.voice.client import open_session, until_done


def api(web, persona, method: str = "GET", path: str = "", **kw) -> httpx.Response:
    return httpx.request(
        method,
        f"{web.url}/api/v1/sites/{path}",
        headers={"Authorization": f"Bearer {persona.token}"},
        timeout=30,
        **kw,
    )


def catalog(web, persona, site_id: int, query: str = "") -> list[dict]:
    found = api(web, persona, path=f"{site_id}/actions{query}")
    assert found.status_code == 200, found.text
    return found.json()["actions"]


def entry(actions: list[dict], kind: str, suffix: str) -> dict:
    return next(a for a in actions if a["kind"] == kind and a["url"].endswith(suffix))


def test_the_catalog_is_built_from_the_crawled_links_forms_and_data_actions(
    widget_web, widget_site, alice
):
    actions = catalog(widget_web, alice, widget_site.id)
    kinds = {a["kind"] for a in actions}
    assert kinds == {"navigate", "fill", "submit", "click"}
    assert {entry(actions, "navigate", p)["url"] for p in ("/contact", "/hours", "/about")}
    fill = entry(actions, "fill", "/contact")
    assert fill["target"] == "#order-form" and fill["needs_confirmation"] is True
    assert {f["name"] for f in fill["fields"]} == {"name", "email", "cake"}
    submit = entry(actions, "submit", "/contact")
    assert submit["risky"] is True and submit["needs_confirmation"] is True
    click = next(a for a in actions if a["kind"] == "click")
    assert click["target"] == "#newsletter" and click["risky"] is True  # "sign up"
    only_forms = catalog(widget_web, alice, widget_site.id, "?kind=fill")
    assert [a["kind"] for a in only_forms] == ["fill"]


def test_bad_filters_and_ids_get_precise_errors(widget_web, widget_site, alice):
    bad = api(widget_web, alice, path=f"{widget_site.id}/actions?kind=purchase")
    assert bad.status_code == 400 and "kind" in bad.json()["detail"]
    assert api(widget_web, alice, path=f"{widget_site.id}/actions/abc").status_code == 400
    assert api(widget_web, alice, path=f"{widget_site.id}/actions/999999").status_code == 404
    some = catalog(widget_web, alice, widget_site.id)[0]
    wrong = api(
        widget_web,
        alice,
        "PATCH",
        f"{widget_site.id}/actions/{some['id']}",
        json={"enabled": "sometimes"},
    )
    assert wrong.status_code == 422 and "enabled" in wrong.text


def test_other_tenants_and_viewers_cannot_change_the_catalog(widget_web, widget_site, bob, charlie):
    assert api(widget_web, charlie, path=f"{widget_site.id}/actions").status_code == 404
    some = catalog(widget_web, bob, widget_site.id)[0]  # a viewer may read
    refused = api(
        widget_web, bob, "PATCH", f"{widget_site.id}/actions/{some['id']}", json={"enabled": False}
    )
    assert refused.status_code == 403


async def ask(web, site, text: str) -> dict:
    ws, ready = await open_session(web.url, site.url, site.key)
    try:
        await ws.send(json.dumps({"type": "input.text", "text": text}))
        turn = await until_done(ws, 60)
        return {"done": turn.done, "actions": [e["action"] for e in turn.of("response.action")]}
    finally:
        await ws.close()


def test_a_disabled_page_is_never_a_navigation_target_until_the_owner_enables_it(
    widget_web, widget_site, alice
):
    hours = entry(catalog(widget_web, alice, widget_site.id), "navigate", "/hours")
    before = asyncio.run(ask(widget_web, widget_site, "take me to the opening hours page"))
    assert [a["catalog_id"] for a in before["actions"]] == [hours["id"]]
    off = api(
        widget_web,
        alice,
        "PATCH",
        f"{widget_site.id}/actions/{hours['id']}",
        json={"enabled": False},
    )
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert off.json()["owner_set"] is True
    try:
        refused = asyncio.run(ask(widget_web, widget_site, "take me to the opening hours page"))
        assert refused["actions"] == []
        assert "not allowed" in refused["done"]["text"]
    finally:
        api(
            widget_web,
            alice,
            "PATCH",
            f"{widget_site.id}/actions/{hours['id']}",
            json={"enabled": True},
        )


@pytest.mark.parametrize(
    "request_text, kind",
    [
        ("fill in the order form with name Ana", "fill"),
        ("send the order form", "submit"),
        ("press the sign up for the newsletter button", "click"),
    ],
)
def test_requests_become_catalog_actions_that_need_confirmation(
    widget_web, widget_site, request_text, kind
):
    got = asyncio.run(ask(widget_web, widget_site, request_text))
    assert [a["kind"] for a in got["actions"]] == [kind]
    action = got["actions"][0]
    assert action["catalog_id"] and action["confirm"] is True


def test_a_request_for_something_outside_the_catalog_finds_nothing(widget_web, widget_site):
    got = asyncio.run(ask(widget_web, widget_site, "press the delete everything button"))
    assert got["actions"] == []


def test_the_cli_lists_the_catalog_and_switches_an_entry(base_env, widget_site):
    def run(*args: str) -> subprocess.CompletedProcess:
        return run_command({**os.environ, **base_env}, "actions", str(widget_site.id), *args)

    listed = run("--kind", "submit", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["kind"] for r in rows] == ["submit"] and rows[0]["needs_confirmation"]
    off = run("--disable", str(rows[0]["id"]), "--json")
    assert off.returncode == 0 and json.loads(off.stdout)["enabled"] is False
    on = run("--enable", str(rows[0]["id"]))
    assert on.returncode == 0 and " on " in on.stdout
    assert run("--enable", "999999").returncode != 0
