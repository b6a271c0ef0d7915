"""Controlled documents: seeding, drafts, review, approval by top management, immutability, supersession."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from aims import ledger
from aims.models import ManagementSystem
from controls.catalog import catalog_ensure
from governance.documents import selectors, services
from governance.documents.markdown import render_markdown
from governance.documents.required import REQUIRED
from governance.documents.seeding import seed_required_documents
from governance.documents.signoffs import APPROVAL
from governance.models import Document, DocumentAcknowledgement, DocumentVersion
from tests.governance.documents_helpers import approve, document, draft, in_review, make_top_management

Status = DocumentVersion.Status


def test_every_management_system_gets_the_required_documents_with_their_starter_texts(world):
    docs = {d.key: d for d in Document.objects.filter(management_system=world.acme).prefetch_related("requirements")}
    assert len(docs) >= 9 and set(docs) == {spec.key for spec in REQUIRED}
    for key in ("scope", "ai_policy", "risk_assessment_process", "risk_treatment_process", "impact_assessment_process",
                "ai_objectives", "operational_planning", "internal_audit_procedure", "incident_communication_plan"):  # fmt: skip
        assert key in docs, key
    assert docs["ai_policy"].identifier == "AIMS-POL-001" and docs["ai_policy"].doc_type == "policy"
    assert docs["scope"].identifier == "AIMS-SCO-001"
    assert {c.key for c in docs["ai_policy"].requirements.all()} >= {"5.2", "A.2.2"}
    for doc in docs.values():
        (v1,) = doc.versions.all()
        assert v1.number == 1 and v1.status == Status.DRAFT and len(v1.body) > 1500, doc.key
        assert v1.body.lstrip().startswith("# ") and "[organisation name]" in v1.body, doc.key
        assert v1.sha256 == hashlib.sha256(v1.body.encode()).hexdigest()
        assert doc.history.count() == 1 and v1.history.count() == 1  # seeded with history
    assert Document.objects.filter(management_system=world.northwind).count() == len(REQUIRED)


def test_seeding_is_idempotent_and_the_command_fills_in_what_is_missing(world):
    policy = document(world)
    with pytest.raises(ValidationError, match="cannot be withdrawn"):  # required: replaced by versions, never withdrawn
        services.document_retire(policy, user=world.officer, expected_version=policy.version, reason="Replaced")
    scope = document(world, "scope")
    Document.requirements.through.objects.filter(document=scope).delete()
    DocumentVersion.objects.filter(document=scope).delete()
    Document.objects.filter(pk=scope.pk).delete()
    call_command("seed_required_documents", verbosity=0)
    call_command("seed_required_documents", verbosity=0)
    assert Document.objects.filter(management_system=world.acme, key="scope").count() == 1
    assert Document.objects.filter(management_system=world.acme).count() == len(REQUIRED)
    new_scope = document(world, "scope")
    assert new_scope.reference not in {policy.reference} and new_scope.versions.get().number == 1


def test_seeding_a_new_management_system_is_cheap(world, django_assert_max_num_queries):
    catalog_ensure()
    fresh = ManagementSystem.objects.create(organisation="Fresh", name="Fresh AIMS")  # without the hooks
    # A fixed number whatever the count of documents: 12 for the documents, versions and their links,
    # and for each of the two registers its reference counter made from its history (6 each).
    with django_assert_max_num_queries(24):
        added = seed_required_documents(fresh, world.owner)
    assert len(added) == len(REQUIRED) and Document.requirements.through.objects.filter(document__in=added).count() > 20


def test_an_approved_version_is_immutable_and_a_change_is_a_new_version(world):
    make_top_management(world, world.leader)
    v1 = approve(world, in_review(world))
    assert v1.status == Status.APPROVED and v1.approved_by == world.leader
    with pytest.raises(ValidationError, match="never changes"):
        services.version_update(v1, user=world.officer, expected_version=v1.version, body="Changed")
    with pytest.raises(ValidationError):
        services.version_submit(v1, user=world.officer, expected_version=v1.version)
    v2 = services.version_new(v1.document, user=world.officer)
    assert v2.number == 2 and v2.status == Status.DRAFT and v2.body == v1.body and v2.fits_purpose
    with pytest.raises(ValidationError, match="still draft"):
        services.version_new(v1.document, user=world.officer)
    v1.refresh_from_db()
    assert v1.body == draft(world).body and v1.status == Status.APPROVED


def test_approval_supersedes_the_previous_version_and_sets_the_next_review(world):
    make_top_management(world, world.leader)
    v1 = approve(world, in_review(world))
    services.version_new(v1.document, user=world.officer)
    v2 = approve(world, in_review(world, body=v1.body + "\n\nA new paragraph.\n"))
    v1.refresh_from_db()
    policy = document(world)
    assert (v1.status, v2.status) == (Status.SUPERSEDED, Status.APPROVED) and v1.superseded_at is not None
    today = timezone.localdate()
    assert policy.next_review_on.year == today.year + 1 and policy.next_review_on.month == today.month
    selectors.with_versions([policy])
    assert policy.approved_version.pk == v2.pk and policy.open_version is None
    assert selectors.approved_version_as_of(policy, timezone.now()).number == 2
    assert selectors.approved_version_as_of(policy, v2.approved_at - timedelta(microseconds=1)).number == 1


def test_the_ai_policy_is_approved_only_by_top_management(world):
    version = in_review(world)
    with pytest.raises(PermissionDenied, match="top-management"):
        approve(world, version)
    assert ledger.may_sign(APPROVAL, world.leader, version) is False
    make_top_management(world, world.leader)
    assert approve(world, version).status == Status.APPROVED


def test_other_documents_are_approved_by_leadership_without_the_role_but_never_by_officers(world):
    version = in_review(world, "risk_assessment_process", checklist=False)
    with pytest.raises(PermissionDenied):
        approve(world, version, signer=world.officer)
    assert approve(world, version).status == Status.APPROVED


def test_the_policy_checklist_blocks_approval_until_every_item_is_ticked(world):
    make_top_management(world, world.leader)
    version = in_review(world, checklist=False)
    with pytest.raises(ValidationError) as refused:
        approve(world, version)
    assert len(refused.value.messages) == 5 and "appropriate to the purpose" in refused.value.messages[0]
    assert DocumentVersion.objects.get(pk=version.pk).status == Status.IN_REVIEW


def test_a_draft_is_not_approved_and_the_last_editor_does_not_sign_their_own_change(world):
    make_top_management(world, world.leader)
    version = draft(world)
    with pytest.raises(ValidationError, match="submit it for review"):
        approve(world, version)
    version = services.version_update(version, user=world.leader, expected_version=version.version, fits_purpose=True)
    version = in_review(world)  # the officer ticks the rest: still the last content editor
    version = services.version_update(
        services.version_return(version, user=world.officer, expected_version=version.version, reason="One more"),
        user=world.leader, expected_version=version.version + 1, change_summary="By the leader",
    )  # fmt: skip
    version = services.version_submit(version, user=world.officer, expected_version=version.version)
    with pytest.raises(ValidationError, match="last change"):
        approve(world, version)


def test_the_approval_is_bound_to_the_digest_of_the_version_in_review(world):
    make_top_management(world, world.leader)
    version = in_review(world, body="# AI policy\n\nOur commitments.\n")
    approve(world, version)
    signoff = ledger.sign_offs_of(APPROVAL, version).get()
    (signed,) = ledger.load_versions([tuple(pair) for pair in signoff.versions]).values()
    assert signed["sha256"] == hashlib.sha256(b"# AI policy\n\nOur commitments.\n").hexdigest()
    assert signed["status"] == Status.IN_REVIEW
    assert ledger.sign_off_status(APPROVAL, version).changed_since is False  # approval is not a change
    assert ledger.verify(world.acme)["ok"]


def test_markdown_is_rendered_without_raw_html_or_javascript_links():
    html = render_markdown(
        "# Policy\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[bad](javascript:alert(1)) [bad2](JAVASCRIPT:alert(2)) [data](data:text/html;base64,xx) "
        "[good](https://example.org) [local](/ms/1/)\n"
    )
    assert "<script>" not in html and "&lt;script&gt;" in html and "<img" not in html
    assert 'href="javascript' not in html.lower() and 'href="data:' not in html
    assert '<a href="https://example.org">good</a>' in html and '<a href="/ms/1/">local</a>' in html
    assert "<h1>Policy</h1>" in html


def test_overdue_reviews_are_flagged(world):
    doc = document(world, "scope")
    services.document_update(
        doc, user=world.officer, expected_version=doc.version, next_review_on=timezone.localdate() - timedelta(days=1)
    )
    rows = selectors.with_versions(list(selectors.document_list(user=world.officer, management_system=world.acme)))
    flagged = {d.key for d in rows if d.is_overdue}
    assert flagged == {"scope"}
    assert set(Document.objects.filter(selectors.review_overdue()).values_list("key", flat=True)) == {"scope"}


def test_members_acknowledge_the_approved_policy_once_and_the_rate_counts_members_but_auditors(world):
    make_top_management(world, world.leader)
    version = approve(world, in_review(world))
    for persona in ("officer", "contributor"):
        services.acknowledge(version, user=world.users[persona])
    with pytest.raises(ValidationError, match="already"):
        services.acknowledge(version, user=world.contributor)
    assert services.may_acknowledge(world.auditor, version) is False
    assert services.may_acknowledge(world.outsider, version) is False
    expected = selectors.members_expected(world.acme)
    assert expected == 4  # owner, officer, leader, contributor (auditors, expired or not, excepted)
    assert selectors.rate(DocumentAcknowledgement.objects.filter(version=version).count(), expected) == 50
    services.version_new(version.document, user=world.officer)
    with pytest.raises(ValidationError, match="not the approved version"):
        services.acknowledge(draft(world), user=world.owner)
