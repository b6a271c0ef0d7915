"""Helpers of the documents tests: top management, a policy taken through review and approval."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from aims import services as aims_services
from governance.documents import services
from governance.models import AimsRole, Document, DocumentVersion, Person, RoleAssignment

CHECKLIST = {name: True for name, _text in DocumentVersion.CHECKLIST}


def make_top_management(world: Any, user: Any, ms: Any = None) -> RoleAssignment:
    """Give ``user`` the top-management AIMS role (Person, AimsRole, RoleAssignment rows, as the people family will)."""
    ms = ms or world.acme
    role = AimsRole.objects.filter(management_system=ms, key=AimsRole.TOP_MANAGEMENT).first()
    if role is None:
        role = aims_services.register_create(
            AimsRole, management_system=ms, user=world.owner, name="Top management", key=AimsRole.TOP_MANAGEMENT
        )
    person = aims_services.register_create(
        Person, management_system=ms, user=world.owner, name=user.username, account=user
    )
    return aims_services.register_create(
        RoleAssignment, management_system=ms, user=world.owner, person=person, role=role,
        starts_on=timezone.localdate() - timedelta(days=1),
    )  # fmt: skip


def document(world: Any, key: str = "ai_policy") -> Document:
    return Document.objects.get(management_system=world.acme, key=key)


def draft(world: Any, key: str = "ai_policy") -> DocumentVersion:
    return document(world, key).versions.order_by("-number").first()


def in_review(world: Any, key: str = "ai_policy", body: str | None = None, checklist: bool = True) -> DocumentVersion:
    """The officer edits the latest draft (the policy checklist ticked) and submits it for review."""
    version = draft(world, key)
    fields = dict(CHECKLIST) if checklist else {}
    if body is not None:
        fields["body"] = body
    if fields:
        version = services.version_update(version, user=world.officer, expected_version=version.version, **fields)
    return services.version_submit(version, user=world.officer, expected_version=version.version)


def approve(world: Any, version: DocumentVersion, signer: Any = None, override_reason: str = "") -> DocumentVersion:
    services.version_approve(
        version, user=signer or world.leader, statement="Approved.", verification="recovery code",
        override_reason=override_reason,
    )  # fmt: skip
    return DocumentVersion.objects.get(pk=version.pk)
