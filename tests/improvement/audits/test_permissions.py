"""Permission matrix of the internal audit pages and actions: persona x action x own / other management system.

Acme is the personas' management system; Northwind the outsider's, set up alike (a compliance
officer owns its programme, a contributor leads its audit), so that each persona gets in
Northwind what its standing there (``tests.kit.standing``) gets in Acme. In Acme the officer owns
the programme and the contributor leads the audit. Refused writes change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from aims import services as aims_services
from aims.models import Membership, Role, SignOff
from improvement.audits import finding_services, services, signoffs
from improvement.models import AuditProgramme, Finding, InternalAudit
from tests.factories import UserFactory, make_ai_system
from tests.improvement.audits.helpers import (
    approve,
    clause,
    finding_fields,
    make_audit,
    make_programme,
    record_all,
    sign_report,
    start,
)
from tests.kit import SYSTEMS, matrix, sign_data

READERS = ("owner", "officer", "leader", "contributor", "auditor")


@dataclass
class Cast:
    """Who plays each part in one management system."""

    ms: Any
    officer: Any  # records, owns the programme
    contributor: Any  # leads the audit
    leader: Any  # approves


def cast(world, where: str) -> Cast:
    if where == "acme":
        return Cast(world.acme, world.officer, world.contributor, world.leader)
    people = {}
    for name, role in (("nw_officer", Role.OFFICER), ("nw_contributor", Role.CONTRIBUTOR)):
        people[name] = UserFactory(username=name)
        if not Membership.objects.filter(user=people[name], management_system=world.northwind).exists():
            membership = aims_services.membership_add(
                management_system=world.northwind, actor=world.outsider, user=people[name], role=role
            )
            aims_services.membership_set_job_title(membership, actor=people[name], job_title="Auditor")
    return Cast(world.northwind, people["nw_officer"], people["nw_contributor"], world.outsider)


@dataclass
class Records:
    draft: AuditProgramme
    programme: AuditProgramme  # approved
    audit: InternalAudit  # in progress, every check recorded, a conclusion: ready for its report
    reported: InternalAudit  # its report signed
    finding: Finding


def records(world, where: str) -> Records:
    c = cast(world, where)
    draft = make_programme(c.ms, c.officer, owner=c.officer, title="Draft programme")
    programme = make_programme(c.ms, c.officer, owner=c.officer)
    approve(programme, c.leader)
    programme = AuditProgramme.objects.get(pk=programme.pk)

    def ready(title: str) -> InternalAudit:
        audit = services.internal_audit_create(
            management_system=c.ms, user=c.officer, programme=programme, title=title, lead_auditor=c.contributor,
            scope_requirements=[clause("9.2.2")], conclusion="Conforms.",
        )  # fmt: skip
        return record_all(start(audit, c.officer), c.officer)

    audit, reported = ready("Ready audit"), ready("Reported audit")
    sign_report(reported, c.contributor)
    reported = InternalAudit.objects.get(pk=reported.pk)
    finding = finding_services.finding_create(management_system=c.ms, user=c.officer, **finding_fields(audit=audit))
    return Records(draft, programme, InternalAudit.objects.get(pk=audit.pk), reported, finding)


def url(name: str, obj: Any, *extra: Any) -> str:
    return reverse(f"improvement:{name}", args=[obj.management_system_id, obj.pk, *extra])


def snapshot() -> tuple:
    return (
        SignOff.objects.count(),
        sorted(AuditProgramme.objects.values_list("pk", "version")),
        sorted(InternalAudit.objects.values_list("pk", "version")),
        sorted(Finding.objects.values_list("pk", "version")),
    )


# --- pages ------------------------------------------------------------------------------------------

PAGES = {persona: 200 for persona in READERS} | {"expired_auditor": 404, "outsider": 404}


@matrix(PAGES, where=SYSTEMS)
def test_every_page_is_readable_by_members_and_hidden_from_others(world, client_as, persona, where, expected):
    r = records(world, where)
    ms = r.programme.management_system
    client = client_as(persona)
    pages = [
        reverse("improvement:programme_list", args=[ms.pk]),
        reverse("improvement:audit_list", args=[ms.pk]),
        reverse("improvement:finding_list", args=[ms.pk]),
        url("programme_detail", r.programme),
        url("programme_coverage", r.programme),
        url("programme_history", r.programme),
        url("audit_detail", r.reported),
        url("audit_history", r.reported),
        url("audit_report", r.reported),
        url("finding_detail", r.finding),
        url("finding_history", r.finding),
    ]
    for page in pages:
        assert client.get(page).status_code == expected, page


def test_pages_ask_anonymous_visitors_to_log_in(world, client_as):
    r = records(world, "acme")
    response = client_as("anonymous").get(url("audit_detail", r.audit))
    assert response.status_code == 302 and "/login" in response.url


CREATE_PAGES = {"owner": 200, "officer": 200, "leader": 403, "contributor": 403, "auditor": 403}
CREATE_PAGES |= {"expired_auditor": 404, "outsider": 404}


@matrix(CREATE_PAGES, where=SYSTEMS)
def test_only_owners_and_officers_open_the_create_and_edit_forms(world, client_as, persona, where, expected):
    r = records(world, where)
    ms = r.programme.management_system
    client = client_as(persona)
    for page in [
        reverse("improvement:programme_create", args=[ms.pk]),
        reverse("improvement:audit_create", args=[ms.pk]),
        url("programme_edit", r.programme),
        url("programme_delete", r.draft),
        url("audit_delete", r.audit),
        url("finding_delete", r.finding),
    ]:
        assert client.get(page).status_code == expected, page


# Contributors lead the audit: they edit it, record its checks and findings (an edit grant).
LEAD_PAGES = CREATE_PAGES | {"contributor": 200}


@matrix(LEAD_PAGES, where=SYSTEMS)
def test_the_audit_team_opens_the_audit_check_and_finding_forms(world, client_as, persona, where, expected):
    r = records(world, where)
    client = client_as(persona)
    check = r.audit.checks.get()
    for page in [
        url("audit_edit", r.audit),
        url("check_edit", r.audit, check.pk),
        url("finding_edit", r.finding),
        reverse("improvement:finding_create", args=[r.audit.management_system_id]),
    ]:
        assert client.get(page).status_code == expected, page


# --- actions ------------------------------------------------------------------------------------------


def programme_data(r: Records, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Programme 2027",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "objectives": "Conformity.",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "0",
        "items-0-requirement": str(clause("9.1").pk),
        "items-0-planned_quarter": "2027-Q1",
        **extra,
    }


def audit_data(audit: InternalAudit, **extra: Any) -> dict[str, Any]:
    return {
        "title": "Audit, renamed",
        "programme": audit.programme_id,
        "scope_requirements": [r.pk for r in audit.scope_requirements.all()],
        "lead_auditor": audit.lead_auditor_id,
        "conclusion": audit.conclusion,
        "version": audit.version,
        **extra,
    }


def act(client, world, persona: str, action: str, r: Records):
    user = world.users[persona]
    if action == "create_programme":
        return client.post(
            reverse("improvement:programme_create", args=[r.programme.management_system_id]), programme_data(r)
        )
    if action == "edit_programme":
        return client.post(url("programme_edit", r.draft), programme_data(r, version=r.draft.version))
    if action == "approve":
        return client.post(
            url("programme_approve", r.draft), sign_data(signoffs.PROGRAMME_APPROVAL, r.draft, signer=user)
        )
    if action == "activate":
        data = {"activate-version": r.programme.version, "activate-reason": "Cycle starts"}
        return client.post(url("programme_activate", r.programme), data)
    if action == "create_audit":
        data = audit_data(r.audit, version="")
        return client.post(reverse("improvement:audit_create", args=[r.audit.management_system_id]), data)
    if action == "edit_audit":
        return client.post(url("audit_edit", r.audit), audit_data(r.audit))
    if action == "record_check":
        check = r.audit.checks.get()
        data = {
            "tested": "Minutes",
            "sample": "IAP-001",
            "result": "observation",
            "notes": "",
            "version": check.version,
        }
        return client.post(url("check_edit", r.audit, check.pk), data)
    if action == "record_finding":
        data = {
            "title": "Observation", "finding_type": "observation", "source": "internal_audit", "audit": r.audit.pk,
            "requirements": [clause("9.2.2").pk], "requirement_statement": "R", "evidence_statement": "E",
            "found_statement": "F",
        }  # fmt: skip
        return client.post(reverse("improvement:finding_create", args=[r.audit.management_system_id]), data)
    if action == "sign_report":
        return client.post(url("audit_sign_report", r.audit), sign_data(signoffs.REPORT, r.audit, signer=user))
    if action == "acknowledge":
        data = sign_data(signoffs.REPORT_ACKNOWLEDGEMENT, r.reported, signer=user)
        return client.post(url("audit_acknowledge", r.reported), data)
    raise AssertionError(action)


ACTIONS = {
    # Owners and compliance officers create and edit every register; leadership approves.
    "create_programme": {"owner": 302, "officer": 302, "leader": 403, "contributor": 403, "auditor": 403},
    "edit_programme": {"owner": 302, "officer": 302, "leader": 403, "contributor": 403, "auditor": 403},
    "approve": {"owner": 302, "officer": 403, "leader": 302, "contributor": 403, "auditor": 403},
    # The officer owns the programme: moving it along is theirs (and owners').
    "activate": {"owner": 302, "officer": 302, "leader": 403, "contributor": 403, "auditor": 403},
    "create_audit": {"owner": 302, "officer": 302, "leader": 403, "contributor": 403, "auditor": 403},
    # The contributor leads the audit: they edit it, record its checks and findings, and sign its report.
    "edit_audit": {"owner": 302, "officer": 302, "leader": 403, "contributor": 302, "auditor": 403},
    "record_check": {"owner": 302, "officer": 302, "leader": 403, "contributor": 302, "auditor": 403},
    "record_finding": {"owner": 302, "officer": 302, "leader": 403, "contributor": 302, "auditor": 403},
    "sign_report": {"owner": 403, "officer": 403, "leader": 403, "contributor": 302, "auditor": 403},
    # Leadership (and owners) or the programme's owner acknowledge the report.
    "acknowledge": {"owner": 302, "officer": 302, "leader": 302, "contributor": 403, "auditor": 403},
}
BY_PERSONA = {
    persona: {action: table.get(persona, 404) for action, table in ACTIONS.items()}
    for persona in (*READERS, "expired_auditor", "outsider")
}


@matrix(BY_PERSONA, where=SYSTEMS)
def test_action_permission_matrix(world, client_as, persona, where, expected):
    """Each action on fresh records; a refused action changes nothing."""
    client = client_as(persona)
    for action, want in expected.items():
        r = records(world, where)
        before = snapshot()
        response = act(client, world, persona, action, r)
        assert response.status_code == want, (persona, where, action, response.status_code)
        if want != 302:
            assert snapshot() == before, (persona, where, action)


OVERRIDE = {"owner": 302, "officer": 302, "leader": 403, "contributor": 400, "auditor": 403}
OVERRIDE |= {"expired_auditor": 404, "outsider": 404}


@matrix(OVERRIDE, where=SYSTEMS)
def test_only_owners_and_officers_record_an_independence_override(world, client_as, persona, where, expected):
    """The lead auditor owns the AI system added to the scope: only an override lets it in, and only an
    owner or a compliance officer may give one (the lead's own form has no override field: a 400)."""
    r = records(world, where)
    lead = r.audit.lead_auditor
    system = make_ai_system(r.audit.management_system, user=None, owner=lead)
    data = audit_data(r.audit, scope_ai_systems=[system.pk], independence_override="Only trained auditor.")
    before = snapshot()
    response = client_as(persona).post(url("audit_edit", r.audit), data)
    assert response.status_code == expected
    audit = InternalAudit.objects.get(pk=r.audit.pk)
    if expected == 302:
        assert audit.independence_override == "Only trained auditor." and list(audit.scope_ai_systems.all()) == [system]
    else:
        assert snapshot() == before and audit.independence_override == ""
        if expected == 400:
            assert "owns" in response.content.decode()


def test_contributors_who_lead_no_audit_record_no_check(world, client_as):
    r = records(world, "acme")
    other = make_audit(world, r.programme, title="Led by the officer", lead_auditor=world.officer)
    other = start(other, world.officer)
    check = other.checks.get()
    data = {"tested": "x", "sample": "", "result": "conforming", "notes": "", "version": check.version}
    assert client_as("contributor").post(url("check_edit", other, check.pk), data).status_code == 403
