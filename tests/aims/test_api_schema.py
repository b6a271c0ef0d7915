"""OpenAPI schema and Swagger UI: valid, complete, served without any CDN, to signed-in people."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.test import Client
from drf_spectacular.validation import validate_schema

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in() -> Client:
    """A signed-in person: the schema and the docs are not public (tests/aims/test_browser_policy.py)."""
    client = Client()
    client.force_login(UserFactory(username="reader"))
    return client


ENDPOINTS = ["management-systems", "memberships", "ai-systems", "model-records", "dataset-records", "suppliers"]


def test_schema_is_valid_openapi_yaml_with_every_endpoint(signed_in):
    response = signed_in.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    for endpoint in ENDPOINTS:
        assert f"/api/v1/{endpoint}/" in schema["paths"]
        assert f"/api/v1/{endpoint}/{{id}}/history/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from your account page, or from `manage.py create_api_token USERNAME`. "
        "Tokens expire; failed attempts from one address are throttled (429).",
    }


def test_schema_as_json_documents_concurrency_headers(signed_in):
    response = signed_in.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    validate_schema(schema)
    patch = schema["paths"]["/api/v1/ai-systems/{id}/"]["patch"]
    headers = {p["name"]: p for p in patch["parameters"] if p["in"] == "header"}
    assert headers["If-Match"]["required"] is True
    assert "X-Change-Reason" in headers
    create = schema["paths"]["/api/v1/ai-systems/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    required = schema["components"]["schemas"][create["$ref"].rsplit("/", 1)[1]]["required"]
    assert sorted(required) == ["management_system", "name", "purpose"]


def test_docs_page_loads_swagger_ui_from_our_static_files(signed_in):
    client = signed_in
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"https?://(?!testserver)", html), "the docs page must not load anything from another host"
    assert "cdn" not in html.lower()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, "expected script and stylesheet URLs"
    for url in assets:
        assert url.startswith("/static/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        # Swagger UI's own files are large; the page's few lines of ours (css/api-docs.css) are not.
        assert len(body) > (1000 if "drf_spectacular_sidecar" in url else 0), url
