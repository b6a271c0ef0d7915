"""Permission matrix of the document pages and API: persona x action x own / other management system.

Every persona is checked inside one test per kind of action (the world is built once per test, not per
persona): a refused write changes nothing, an allowed one changes what it should. Acme is the
personas' management system, Northwind the outsider's (there they own it, the others are outsiders).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Sum
from django.urls import reverse

from aims.models import SignOff
from governance.documents import services
from governance.models import Document, DocumentAcknowledgement, DocumentVersion
from tests.governance.documents_helpers import approve, make_top_management
from tests.kit import PERSONAS, sign_data, standing

Status = DocumentVersion.Status
ALL = (*PERSONAS, "anonymous")
READ = {"owner": 200, "officer": 200, "leader": 200, "contributor": 200, "auditor": 200,
        "expired_auditor": 404, "outsider": 404, "anonymous": 302}  # fmt: skip
EDIT = {**READ, "owner": 302, "officer": 302, "leader": 403, "contributor": 403, "auditor": 403}
APPROVE = {**EDIT, "officer": 403, "leader": 302}
ACKNOWLEDGE = {**READ, "owner": 302, "officer": 302, "leader": 302, "contributor": 302, "auditor": 403}


def everything() -> tuple:
    """What any write changes: a count of rows or the sum of their versions (every change adds one)."""
    return (
        tuple(Document.objects.aggregate(n=Count("pk"), v=Sum("version"), r=Count("retired_at")).values()),
        tuple(DocumentVersion.objects.aggregate(n=Count("pk"), v=Sum("version")).values()),
        DocumentAcknowledgement.objects.count(),
        SignOff.objects.count(),
    )


def fresh(world: Any, ms: Any = None, *, title: str = "Procedure", state: str = "draft") -> DocumentVersion:
    """A new process document of ``ms`` (Acme) with version 1 in the given state."""
    ms = ms or world.acme
    user = world.officer if ms == world.acme else world.outsider
    n = Document.objects.filter(management_system=ms).count()
    doc = services.document_create(
        management_system=ms, user=user, identifier=f"T-{n}", title=title, doc_type="process", body="# Text\n"
    )
    version = doc.versions.get()
    if state in ("in_review", "approved"):
        version = services.version_submit(version, user=user, expected_version=version.version)
    if state == "approved":
        own = ms != world.acme  # Northwind's only member signs their own change
        version = approve(world, version, signer=world.outsider if own else world.owner, override_reason="Sole" * own)
    return version


def test_reading_pages_in_each_management_system(world, client_as):
    targets = {"acme": (world.acme, fresh(world)), "northwind": (world.northwind, fresh(world, world.northwind))}
    for persona in ALL:
        client = client_as(persona)
        for where, (ms, version) in targets.items():
            urls = [
                reverse("governance:document_list", args=[ms.pk]),
                reverse("governance:document_detail", args=[ms.pk, version.document_id]),
                reverse("governance:version_detail", args=[ms.pk, version.pk]),
            ]
            if where == "acme" or persona in ("outsider", "owner"):
                urls += [
                    reverse("governance:document_history", args=[ms.pk, version.document_id]),
                    reverse("governance:version_history", args=[ms.pk, version.pk]),
                ]
            want = READ[standing(persona, where)]
            for url in urls:
                assert client.get(url).status_code == want, (persona, where, url)


def _writes(world: Any, persona: str) -> dict[str, tuple[str, Any, dict[str, Any]]]:
    """Each page write: (url, record made fresh for it, POST data)."""
    ms = world.acme.pk
    draft, review, approved = fresh(world), fresh(world, state="in_review"), fresh(world, state="approved")
    doc, other = fresh(world).document, fresh(world)
    url = lambda name, pk: reverse(f"governance:{name}", args=[ms, pk])  # noqa: E731
    return {
        "create": (reverse("governance:document_create", args=[ms]), None, {
            "identifier": f"NEW-{persona}", "title": "New", "doc_type": "method", "classification": "internal",
            "review_cycle_months": 12}),
        "edit": (url("document_edit", doc.pk), doc, {
            "version": doc.version, "identifier": doc.identifier, "title": "Renamed", "doc_type": "process",
            "classification": "internal", "review_cycle_months": 6}),
        "new version": (url("version_new", approved.document_id), approved, {"version": approved.document.version}),
        "edit draft": (url("version_edit", draft.pk), draft, {"version": draft.version, "body": "# Changed\n"}),
        "submit": (url("version_submit", other.pk), other, {"version": other.version}),
        "return": (url("version_return", review.pk), review, {"version": review.version, "reason": "More work"}),
        "seed": (reverse("governance:document_seed", args=[ms]), None, {}),
    }  # fmt: skip


def test_writing_pages(world, client_as):
    Document.objects.filter(management_system=world.acme, key="scope").update(key="", identifier="OLD")  # seed adds one
    for persona in ALL:
        client = client_as(persona)
        for name, (url, _record, data) in _writes(world, persona).items():
            if name == "seed":
                Document.objects.filter(management_system=world.acme, key="scope").update(key="", identifier=persona)
            before = everything()
            response = client.post(url, data)
            want = EDIT[persona]
            assert response.status_code == want, (persona, name, response.status_code)
            assert (everything() != before) is (want == 302 and persona != "anonymous"), (persona, name)


def test_approving_and_acknowledging_on_the_pages(world, client_as):
    make_top_management(world, world.leader)
    make_top_management(world, world.owner)
    for persona in ALL:
        client = client_as(persona)
        version = fresh(world, state="in_review")
        signer = world.users.get(persona, world.owner)
        before = everything()
        url = reverse("governance:version_approve", args=[world.acme.pk, version.pk])
        response = client.post(url, sign_data("document_version_approval", version, signer=signer))
        assert response.status_code == APPROVE[persona], (persona, response.status_code)
        approved = DocumentVersion.objects.get(pk=version.pk).status == Status.APPROVED
        assert approved is (APPROVE[persona] == 302 and persona != "anonymous"), persona
        assert (everything() != before) is approved
        version = fresh(world, state="approved")
        Document.objects.filter(pk=version.document_id).update(doc_type="policy")
        response = client.post(reverse("governance:version_acknowledge", args=[world.acme.pk, version.pk]))
        assert response.status_code == ACKNOWLEDGE[persona], (persona, "acknowledge")
        acknowledged = DocumentAcknowledgement.objects.filter(version=version).exists()
        assert acknowledged is (ACKNOWLEDGE[persona] == 302 and persona != "anonymous"), persona


def test_a_leader_without_the_top_management_role_is_refused_the_policy_with_the_reason(world, client_as):
    version = fresh(world, state="in_review")
    Document.objects.filter(pk=version.document_id).update(doc_type="policy")
    version = services.version_return(version, user=world.officer, expected_version=version.version, reason="Tick")
    version = services.version_update(
        version, user=world.officer, expected_version=version.version,
        **{name: True for name, _text in DocumentVersion.CHECKLIST},
    )  # fmt: skip
    version = services.version_submit(version, user=world.officer, expected_version=version.version)
    client = client_as("leader")
    page = client.get(reverse("governance:version_detail", args=[world.acme.pk, version.pk]))
    assert "Approve and sign" not in page.content.decode()
    url = reverse("governance:version_approve", args=[world.acme.pk, version.pk])
    response = client.post(url, sign_data("document_version_approval", version, signer=world.leader))
    assert response.status_code == 403 and b"top-management" in response.content
    make_top_management(world, world.leader)
    response = client.post(url, sign_data("document_version_approval", version, signer=world.leader))
    assert response.status_code == 302
    assert DocumentVersion.objects.get(pk=version.pk).status == Status.APPROVED
