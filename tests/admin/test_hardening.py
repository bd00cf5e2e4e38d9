"""Security headers, request size limits and the OpenAPI document."""

from __future__ import annotations

import re

import pytest

from sitespeak.errors import InvalidInput
from sitespeak.web.api_jobs import JobRequest


async def test_admin_pages_carry_a_strict_csp_and_cannot_be_framed(app):
    response = await app.test_client().get("/admin/login")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


async def test_api_answers_cannot_run_anything_when_opened_as_a_page(app):
    response = await app.test_client().get("/api/v1/sites")
    assert response.status_code == 401
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_an_oversized_admin_form_is_refused(app, settings):
    body = "email=" + "x" * (settings.admin_max_body + 10)
    response = await app.test_client().post(
        "/admin/login", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


async def test_an_oversized_api_body_is_refused(app, alice):
    response = await app.test_client().post(
        "/api/v1/jobs",
        data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"Authorization": f"Bearer {alice.token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_text_the_database_cannot_store_is_refused_with_the_field_named(app, alice):
    headers = {"Authorization": f"Bearer {alice.token}", "Content-Type": "application/json"}
    for bad, why in (("\\u0000", "NUL character"), ("\\udb2f", "unpaired UTF-16 surrogate")):
        body = '{"name": "ok", "start_urls": ["https://example.com"], '
        body += '"scope": {"include": ["/a", "x' + bad + 'y"]}}'
        response = await app.test_client().post("/api/v1/sites", data=body, headers=headers)
        assert response.status_code == 400, await response.get_data()
        detail = (await response.get_json())["detail"]
        assert "body.scope.include[1]" in detail and why in detail


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ('{"note": "a\\u0000b"}', "body.args.note contains a NUL character"),
        ('{"list": [1, {"k\\u0000": 2}]}', "body.args.list[1] key contains a NUL character"),
        ('{"caf\\u00e9": ["", "\\u0000"]}', "body.args.'caf\\xe9'[1] contains a NUL"),
    ],
)
def test_a_request_model_refuses_a_nul_wherever_it_is_validated(args, where):
    with pytest.raises(InvalidInput) as refused:
        JobRequest.model_validate_json('{"name": "echo", "args": ' + args + "}")
    assert where in refused.value.message


async def test_malformed_json_is_refused_with_where_it_breaks(app, alice):
    headers = {"Authorization": f"Bearer {alice.token}", "Content-Type": "application/json"}
    for body in ('{"name": "echo", "args": {', '{"name": "x\\u12"}'):
        response = await app.test_client().post("/api/v1/jobs", data=body, headers=headers)
        assert response.status_code == 422, await response.get_data()
        detail = (await response.get_json())["detail"]
        assert "Invalid JSON" in detail and "column" in detail


async def test_the_openapi_document_lists_every_api_route_with_its_models(app):
    response = await app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = await response.get_json()
    assert doc["openapi"].startswith("3.1")
    routes = {
        (re.sub(r"<(?:[^:<>]*:)?([^<>]+)>", r"{\1}", r.rule), m.lower())
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/") and r.endpoint != "openapi"  # the document itself
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    listed = {(path, method) for path, methods in doc["paths"].items() for method in methods}
    assert listed == routes
    unsummarised = [
        f"{m.upper()} {p}"
        for p, ms in doc["paths"].items()
        for m, op in ms.items()
        if not op.get("summary")
    ]
    assert not unsummarised, f"give these views a docstring (its first line): {unsummarised}"
    submit = doc["paths"]["/api/v1/jobs"]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    assert body["title"] == "JobRequest" and "name" in body["properties"]
    assert submit["responses"]["201"]["content"]["application/json"]["schema"]["title"] == "JobView"
    assert doc["paths"]["/api/v1/jobs/{job_id}"]["get"]["security"] == [{"bearer": []}]
    assert doc["paths"]["/api/v1/docs"]["get"]["security"] == []


async def test_the_docs_page_shows_every_operation(app):
    doc = await (await app.test_client().get("/api/v1/openapi.json")).get_json()
    response = await app.test_client().get("/api/v1/docs")
    body = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert "cdn" not in body.lower()  # the product runs offline
    for path in doc["paths"]:
        assert path in body


async def test_a_site_reference_that_cannot_be_an_id_is_not_found_not_a_server_error(app, alice):
    headers = {"Authorization": f"Bearer {alice.token}"}
    for ref in ("%C2%B3", "9" * 30):  # "³" is a digit int() cannot read; past bigint
        response = await app.test_client().get(f"/api/v1/sites/{ref}", headers=headers)
        assert response.status_code == 404, await response.get_data()
