"""What "my work" lists of internal audit sign-offs: the programme's approval for leadership, the report for its
lead auditor, its acknowledgement for leadership and the programme's owner; blocked ones left out; four eyes."""

from __future__ import annotations

from django.utils import timezone

from aims import ledger, work
from aims.models import Role
from aims.services import membership_add
from improvement import work as improvement_work
from improvement.audits import signoffs
from improvement.models import AuditProgramme, InternalAudit
from tests.improvement.audits.helpers import make_audit, make_programme, planner, reportable_audit, sign_report, start
from tests.kit import assert_constant_queries


def signatures(user, ms):
    return {item.title: item for item in work.work_for(user, ms, timezone.localdate()) if item.kind == work.SIGNATURE}


def fetch(user, provide, ms):
    return lambda: provide(user, ms, timezone.localdate())


def audit_work(world):
    """A draft programme ready to approve, a report ready for its lead (the contributor), a signed report."""
    draft = make_programme(world.acme, planner(), owner=world.officer, title="Programme 2027")
    to_sign = reportable_audit(world, title="Audit of risk assessment")
    signed = reportable_audit(world, title="Audit of impact assessment")
    sign_report(signed, world.contributor)
    return draft, to_sign, InternalAudit.objects.get(pk=signed.pk)


def test_each_persona_sees_the_audit_sign_offs_that_wait_for_them_and_only_in_their_management_system(world):
    draft, to_sign, signed = audit_work(world)
    approve = f"Approve the audit programme {draft.reference} Programme 2027"
    report = f"Sign the report of {to_sign.reference} Audit of risk assessment"
    acknowledge = f"Acknowledge the report of {signed.reference} Audit of impact assessment"

    leader, officer = signatures(world.leader, world.acme), signatures(world.officer, world.acme)
    contributor, auditor = signatures(world.contributor, world.acme), signatures(world.auditor, world.acme)
    assert {approve, acknowledge} <= set(leader) and report not in leader
    assert leader[approve].key == f"{signoffs.PROGRAMME_APPROVAL}:{draft.pk}:{draft.version}"
    assert leader[approve].url.endswith(work.signoff_anchor(signoffs.PROGRAMME_APPROVAL))
    assert leader[acknowledge].key == f"{signoffs.REPORT_ACKNOWLEDGEMENT}:{signed.pk}:{signed.version}"
    assert set(contributor) == {report}  # the lead auditor signs; neither approves nor acknowledges
    assert contributor[report].key == f"{signoffs.REPORT}:{to_sign.pk}:{to_sign.version}"
    assert set(officer) == {acknowledge}  # the programme's owner acknowledges, leadership alone approves
    assert auditor == {}

    # Northwind: the leader, leadership there too, sees Northwind's programme there and never in Acme.
    membership_add(management_system=world.northwind, actor=world.outsider, user=world.leader, role=Role.LEADERSHIP)
    theirs = make_programme(world.northwind, world.outsider, owner=world.outsider, title="Northwind programme")
    assert not any("Northwind" in title for title in signatures(world.leader, world.acme))
    assert set(signatures(world.leader, world.northwind)) == {
        f"Approve the audit programme {theirs.reference} Northwind programme"
    }
    assert signatures(world.outsider, world.acme) == {}

    # Once signed, each one is gone.
    from tests.improvement.audits.helpers import acknowledge as acknowledge_report
    from tests.improvement.audits.helpers import approve as approve_programme

    approve_programme(draft, world.leader)
    sign_report(to_sign, world.contributor)
    acknowledge_report(signed, world.leader)
    shown = set(signatures(world.leader, world.acme)) | set(signatures(world.contributor, world.acme))
    assert not shown & {approve, report, acknowledge}


def test_blocked_sign_offs_are_left_out_and_the_readiness_of_a_report_follows_its_blockers(world):
    blocked = make_programme(world.acme, planner(), owner=world.officer, objectives="", title="No objectives")
    planned = make_audit(world, lead_auditor=world.contributor, conclusion="Done.", title="Still planned")
    started = start(make_audit(world, lead_auditor=world.contributor, title="Checks pending"), world.officer)
    ready = reportable_audit(world, title="Ready")
    assert signoffs.programme_blockers(blocked)
    assert not [t for t in signatures(world.leader, world.acme) if "No objectives" in t]
    assert [t for t in signatures(world.contributor, world.acme) if "report" in t] == [
        f"Sign the report of {ready.reference} Ready"
    ]
    # The provider's judgement, made without queries, agrees with the sign-off's blockers.
    audits = InternalAudit.objects.filter(pk__in=[planned.pk, started.pk, ready.pk]).prefetch_related(
        "scope_requirements", "checks"
    )
    assert (
        {a.title: improvement_work._report_ready(a) for a in audits}
        == {a.title: not signoffs.report_blockers(a) for a in audits}
        == {"Still planned": False, "Checks pending": False, "Ready": True}
    )


def test_a_sign_off_waiting_for_who_made_the_change_says_so(world):
    mine = make_programme(world.acme, world.owner, owner=world.officer, title="Made by the owner")
    title = f"Approve the audit programme {mine.reference} Made by the owner"
    assert work.OWN_CHANGE_NOTE in signatures(world.owner, world.acme)[title].detail
    assert work.OWN_CHANGE_NOTE not in signatures(world.leader, world.acme)[title].detail
    assert ledger.signs_own_change(signoffs.PROGRAMME_APPROVAL, world.owner, mine)
    # The officer led and signed the report: acknowledging it, as the programme's owner, is their own change.
    audit = reportable_audit(world, lead=world.officer, title="Led by the officer")
    sign_report(audit, world.officer)
    title = f"Acknowledge the report of {audit.reference} Led by the officer"
    assert work.OWN_CHANGE_NOTE in signatures(world.officer, world.acme)[title].detail
    assert work.OWN_CHANGE_NOTE not in signatures(world.leader, world.acme)[title].detail


def test_the_audit_sign_offs_take_constant_queries(world):
    audit_work(world)
    providers = (
        improvement_work.programmes_to_approve,
        improvement_work.reports_to_sign,
        improvement_work.reports_to_acknowledge,
    )
    fetches = {
        f"{persona}:{provide.__name__}": fetch(getattr(world, persona), provide, world.acme)
        for persona in ("leader", "officer", "contributor")
        for provide in providers
    }
    counts = assert_constant_queries(fetches, lambda: audit_work(world))
    assert len(signatures(world.leader, world.acme)) >= 4 and max(counts.values()) <= 8
    assert AuditProgramme.objects.filter(management_system=world.acme).count() >= 4
