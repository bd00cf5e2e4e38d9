"""The OpenAPI document states the real constraints: the job names a tenant may submit, numeric
action ids, 409 for a site name already taken, 503 when a dependency is down; and what it states
of a request model is what the route enforces."""

from __future__ import annotations


async def _document(app) -> dict:
    response = await app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return await response.get_json()


def _body_schema(operation: dict) -> dict:
    return operation["requestBody"]["content"]["application/json"]["schema"]


async def test_the_openapi_document_names_the_real_constraints(app):
    doc = await _document(app)
    name = _body_schema(doc["paths"]["/api/v1/jobs"]["post"])["properties"]["name"]
    assert name["enum"] == ["echo", "fail", "sleep"]  # crawl.site is the API's own to submit
    sites = doc["paths"]["/api/v1/sites"]["post"]["responses"]
    assert {"401", "403", "409", "429", "503"} <= set(sites)
    assert "application/problem+json" in sites["409"]["content"]
    assert "409" in doc["paths"]["/api/v1/sites/{site_ref}"]["patch"]["responses"]
    action = doc["paths"]["/api/v1/sites/{site_ref}/actions/{action_id}"]["get"]
    param = next(p for p in action["parameters"] if p["name"] == "action_id")
    assert param["schema"] == {"type": "integer", "minimum": 1}


async def test_a_request_body_constraint_is_in_the_document_and_refused_naming_the_field(
    app, alice
):
    doc = await _document(app)
    search = _body_schema(doc["paths"]["/api/v1/sites/{site_ref}/search"]["post"])
    assert search["properties"]["k"]["maximum"] == 50
    response = await app.test_client().post(
        "/api/v1/sites/any/search",
        json={"query": "opening hours", "k": 51},
        headers={"Authorization": f"Bearer {alice.token}"},
    )
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    problem = await response.get_json()
    assert problem["detail"].startswith("k: ") and "50" in problem["detail"]
    assert problem["errors"][0]["loc"] == "k"


async def test_a_query_parameter_constraint_is_in_the_document_and_refused_naming_it(app, alice):
    doc = await _document(app)
    listing = doc["paths"]["/api/v1/sites/{site_ref}/conversations"]["get"]
    limit = next(p for p in listing["parameters"] if p["name"] == "limit")
    assert limit["in"] == "query" and limit["schema"]["maximum"] == 500
    response = await app.test_client().get(
        "/api/v1/sites/any/conversations?limit=501",
        headers={"Authorization": f"Bearer {alice.token}"},
    )
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert (await response.get_json())["detail"].startswith("query parameter limit: ")
