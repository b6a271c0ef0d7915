"""Filters of the incident register, shared by its page and its API list endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from aims.filters import ANY, MemberFilter, RegisterFilterSet, SearchFilter, YesNoFilter
from improvement.models import Incident, ReportingObligation
from registers.filters import SystemFilter, SystemSearchFilter

OPEN = "open"
WITHDRAWN = "withdrawn"
ALL = "all"
STATUS_CHOICES = [
    (OPEN, "Open"),
    *Incident.Status.choices,
    (WITHDRAWN, "Withdrawn"),
    (ALL, "All"),
]


def obligation_overdue() -> Exists:
    """Incidents with a reporting obligation past its deadline, neither submitted nor waived."""
    return Exists(
        ReportingObligation.objects.filter(
            incident=OuterRef("pk"), submitted_on__isnull=True, waived_reason="", deadline__lt=timezone.now()
        )
    )


def decision_awaited() -> Q:
    """Possibly serious incidents without leadership's reporting decision."""
    return Q(possibly_serious=True, report_decision="")


@extend_schema_field(
    {
        "type": "string",
        "enum": [value for value, _label in STATUS_CHOICES],
        "description": "open (the default: neither closed nor withdrawn), one status, withdrawn, or all.",
    }
)
class IncidentStatusFilter(django_filters.ChoiceFilter):
    """``status``: open incidents unless asked for one status, ``withdrawn`` ones or ``all``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Status")
        kwargs.setdefault("choices", STATUS_CHOICES)
        kwargs.setdefault("empty_label", None)
        super().__init__(**kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value == ALL:
            return qs
        if value == WITHDRAWN:
            return qs.filter(retired_at__isnull=False)
        if value in Incident.Status.values:
            return qs.filter(retired_at__isnull=True, status=value)
        return qs.filter(retired_at__isnull=True).exclude(status=Incident.Status.CLOSED)


class IncidentFilterSet(RegisterFilterSet):
    """The incident register: search, status, type, severity, channel, AI system, owner, overdue obligation,
    decision awaited."""

    q = SearchFilter("title", "reference", "description")
    status = IncidentStatusFilter()
    type = django_filters.ChoiceFilter(
        field_name="incident_type", label="Type", choices=Incident.Type.choices, empty_label=ANY
    )
    severity = django_filters.ChoiceFilter(label="Severity", choices=Incident.Severity.choices, empty_label=ANY)
    channel = django_filters.ChoiceFilter(label="Channel", choices=Incident.Channel.choices, empty_label=ANY)
    system_search = SystemSearchFilter("ai_systems")
    # An AI system by id (links from its page, and the API); the page names it in a notice, not a list.
    system = SystemFilter("ai_systems")
    owner = MemberFilter(label="Owner")
    overdue = YesNoFilter(obligation_overdue, label="Reporting overdue")
    decision = YesNoFilter(decision_awaited, label="Decision awaited")

    def applied(self) -> dict[str, Any]:
        """The filters that narrow the list; a status other than the default (open) counts as one."""
        applied = super().applied()
        status = getattr(self.form, "cleaned_data", {}).get("status")
        if status and status != OPEN:
            applied["status"] = status
        return applied
