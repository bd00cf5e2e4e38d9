"""The OpenAPI document states the real constraints: the job names a tenant may submit, numeric
action ids, 409 for a site name already taken, 503 when a dependency is down."""

from __future__ import annotations


async def test_the_openapi_document_names_the_real_constraints(app):
    response = await app.test_client().get("/api/v1/openapi.json")
    doc = await response.get_json()
    name = doc["components"]["schemas"]["JobRequest"]["properties"]["name"]
    assert name["enum"] == ["echo", "fail", "sleep"]  # crawl.site is the API's own to submit
    sites = doc["paths"]["/api/v1/sites"]["post"]["responses"]
    assert "409" in sites and "503" in sites
    assert "409" in doc["paths"]["/api/v1/sites/{site_ref}"]["patch"]["responses"]
    action = doc["paths"]["/api/v1/sites/{site_ref}/actions/{action_id}"]["get"]
    param = next(p for p in action["parameters"] if p["name"] == "action_id")
    assert param["schema"]["type"] == "integer"
