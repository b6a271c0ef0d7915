"""OpenAPI schema and Swagger UI: valid, complete, and served without any CDN."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from django.test import Client
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

ENDPOINTS = ["management-systems", "memberships", "ai-systems", "model-records", "dataset-records", "suppliers"]


def test_schema_is_valid_openapi_yaml_with_every_endpoint():
    response = Client().get("/api/schema/")
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


def test_schema_as_json_documents_concurrency_headers():
    response = Client().get("/api/schema/", {"format": "json"})
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


def test_docs_page_loads_swagger_ui_from_our_static_files():
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"https?://(?!testserver)", html), "the docs page must not load anything from another host"
    assert "cdn" not in html.lower()
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert assets, "expected script and stylesheet URLs"
    for url in assets:
        assert url.startswith("/static/drf_spectacular_sidecar/"), url
        asset = client.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 1000, url
