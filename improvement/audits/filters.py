"""Filters of the audit programmes, internal audits and findings, shared by the pages and the API lists."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from aims.filters import (
    ANY,
    MemberFilter,
    RecordChoiceFilter,
    RegisterFilterSet,
    SearchFilter,
    StatusFilter,
    YesNoFilter,
)
from improvement.models import AuditProgramme, Finding, InternalAudit
from registers.filters import SystemFilter, SystemSearchFilter


class ProgrammeFilterSet(RegisterFilterSet):
    """Audit programmes: search, state and owner."""

    q = SearchFilter("title", "reference", "objectives")
    state = django_filters.ChoiceFilter(
        field_name="status", label="State", choices=AuditProgramme.Status.choices, empty_label=ANY
    )
    owner = MemberFilter(label="Owner")
    status = StatusFilter()


def _has_lead() -> Q:
    return Q(lead_auditor__isnull=False) | ~Q(external_lead_name="")


class AuditFilterSet(RegisterFilterSet):
    """Internal audits: search, programme, state, lead auditor, AI system in scope, lead named."""

    q = SearchFilter("title", "reference", "criteria", "conclusion")
    programme = RecordChoiceFilter(AuditProgramme, label="Programme")
    state = django_filters.ChoiceFilter(
        field_name="status", label="State", choices=InternalAudit.Status.choices, empty_label=ANY
    )
    lead = MemberFilter(field_name="lead_auditor", label="Lead auditor")
    system_search = SystemSearchFilter("scope_ai_systems", label="AI system in scope")
    # An AI system by id (links from its page, and the API); the page names it in a notice, not a list.
    system = SystemFilter("scope_ai_systems", label="AI system in scope")
    has_lead = YesNoFilter(_has_lead, label="Lead auditor named")
    status = StatusFilter()


def _raised_nonconformity() -> Q:
    return Q(nonconformity__isnull=False)


class FindingFilterSet(RegisterFilterSet):
    """Findings: search, type, source, audit, AI system, whether it raised a nonconformity."""

    q = SearchFilter("title", "reference", "found_statement")
    type = django_filters.ChoiceFilter(
        field_name="finding_type", label="Type", choices=Finding.Type.choices, empty_label=ANY
    )
    source = django_filters.ChoiceFilter(label="Source", choices=Finding.Source.choices, empty_label=ANY)
    audit = RecordChoiceFilter(InternalAudit, label="Internal audit")
    system_search = SystemSearchFilter("ai_systems")
    # An AI system by id (links from its page, and the API); the page names it in a notice, not a list.
    system = SystemFilter("ai_systems")
    raised = YesNoFilter(_raised_nonconformity, label="Raised a nonconformity")
    status = StatusFilter()
