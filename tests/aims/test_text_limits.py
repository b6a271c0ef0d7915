"""Every text a person types has a maximum length, on the forms and in the API; JSON nests a bounded depth."""

from __future__ import annotations

from importlib import import_module

import pytest
from django import forms
from drf_spectacular.generators import SchemaGenerator

from aims.forms import VersionedFormMixin
from aims.limits import JSON_MAX_DEPTH, TEXT_MAX, TextLimitsFormMixin, json_depth_exceeds
from registers.models import AISystem
from tests.factories import make_ai_system

APPS = ("aims", "evidence", "registers", "controls", "assessments", "packs")
UNBOUNDED_FORMATS = {"date", "date-time", "time", "uri", "email", "uuid", "binary"}


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _our_forms() -> list[type]:
    for app in APPS:
        for module in ("forms", "admin"):
            try:
                import_module(f"{app}.{module}")
            except ModuleNotFoundError:
                pass
    return sorted(
        {c for c in _subclasses(forms.BaseForm) if c.__module__.split(".")[0] in APPS}, key=lambda c: c.__qualname__
    )


def test_every_text_field_of_every_form_has_a_maximum_length():
    capped = (TextLimitsFormMixin, VersionedFormMixin)
    unbounded = {
        f"{form.__module__}.{form.__qualname__}.{name}"
        for form in _our_forms()
        if not issubclass(form, capped)
        for name, field in form.base_fields.items()
        if isinstance(field, forms.CharField) and field.max_length is None
    }
    assert unbounded == set()


def _strings_without_max_length(name: str, schema: dict, path: str = "") -> list[str]:
    found = []
    if schema.get("type") == "string" and not schema.get("readOnly"):
        if "enum" not in schema and schema.get("format") not in UNBOUNDED_FORMATS and "maxLength" not in schema:
            found.append(f"{name}{path}")
    for key, sub in (schema.get("properties") or {}).items():
        found += _strings_without_max_length(name, sub, f"{path}.{key}")
    if "items" in schema:
        found += _strings_without_max_length(name, schema["items"], f"{path}[]")
    return found


def test_every_text_in_an_api_request_body_has_a_maximum_length():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    requests = {n: s for n, s in schema["components"]["schemas"].items() if n.endswith("Request")}
    assert requests
    unbounded = [found for name, body in requests.items() for found in _strings_without_max_length(name, body)]
    assert unbounded == []


@pytest.mark.django_db
def test_free_text_over_the_limit_is_refused_on_the_api(world, api_as):
    body = {"management_system": world.acme.pk, "name": "Long", "purpose": "x" * (TEXT_MAX + 1)}
    too_long = api_as("officer").post("/api/v1/ai-systems/", body, format="json")
    at_limit = api_as("officer").post("/api/v1/ai-systems/", {**body, "purpose": "x" * TEXT_MAX}, format="json")

    assert too_long.status_code == 400
    assert "purpose" in too_long.json()
    assert at_limit.status_code == 201
    assert AISystem.objects.count() == 1


@pytest.mark.django_db
def test_free_text_over_the_limit_is_refused_on_the_form(world, client_as):
    system = make_ai_system(world.acme, user=world.officer)
    url = f"/ms/{world.acme.pk}/registers/ai-systems/{system.pk}/edit/"
    data = {
        "version": system.version, "name": system.name, "purpose": system.purpose, "notes": "x" * (TEXT_MAX + 1),
        "lifecycle_stage": system.lifecycle_stage, "roles-TOTAL_FORMS": "0", "roles-INITIAL_FORMS": "0",
        "eu_ai_act_risk_class": system.eu_ai_act_risk_class, "human_oversight": system.human_oversight,
    }  # fmt: skip

    response = client_as("officer").post(url, data)

    assert response.context["form"].errors["notes"] == [
        f"Ensure this value has at most {TEXT_MAX} characters (it has {TEXT_MAX + 1})."
    ]
    assert f'maxlength="{TEXT_MAX}"' in response.content.decode()
    system.refresh_from_db()
    assert system.version == 1


@pytest.mark.parametrize(
    ("value", "deep"),
    [
        ({"a": 1}, False),
        ([[]] * 3, False),
        ([1, [2, [3]]], False),
        (eval("[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH), False),  # noqa: S307 -- a literal built here
        (eval("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)), True),  # noqa: S307
        ({"a": {"b": [{"c": eval("[" * JSON_MAX_DEPTH + "]" * JSON_MAX_DEPTH)}]}}, True),  # noqa: S307
    ],
)
def test_json_depth_counts_nested_arrays_and_objects(value, deep):
    assert json_depth_exceeds(value) is deep
