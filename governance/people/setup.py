"""Wiring of the people family into the kit: the six AIMS roles seeded in every new management system,
evidence links (appointments, competence records, communications) and the pack section."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

import evidence
from aims import hooks
from governance.models import CommunicationRecord, CompetenceRecord, RoleAssignment


def _url(name: str) -> Any:
    return lambda obj: reverse(f"governance:{name}_detail", args=[obj.management_system_id, obj.pk])


def _choices(model: type, *related: str) -> Any:
    return lambda ms: model.objects.filter(management_system=ms).select_related(*related).order_by("reference")


def register() -> None:
    """Called from GovernanceConfig.ready()."""
    from governance.people import pack, seed

    hooks.on_management_system_created(seed.on_management_system_created)
    evidence.register_linkable(
        RoleAssignment,
        key="role_assignments",
        label="AIMS role assignments",
        order=80,
        url=_url("assignment"),
        choices=_choices(RoleAssignment, "person", "role"),
        describe=lambda a: f"{a.reference} {a.person.name} as {a.role.name}",
        help_text="An appointment letter or minutes naming the person in the role.",
        compact=True,
    )
    evidence.register_linkable(
        CompetenceRecord,
        key="competence_records",
        label="Competence records",
        order=81,
        url=_url("competence_record"),
        choices=_choices(CompetenceRecord, "person", "competence"),
        describe=lambda r: f"{r.reference} {r.person.name}: {r.competence.name}",
        help_text="A certificate, transcript or assessment showing the competence.",
        compact=True,
    )
    evidence.register_linkable(
        CommunicationRecord,
        key="communications",
        label="Communication records",
        order=82,
        url=_url("communication"),
        describe=lambda r: f"{r.reference} {r.audience} ({r.delivered_on:%d %b %Y})",
        help_text="An attendance list, slides or acknowledgement export.",
        compact=True,
    )
    pack.register()
