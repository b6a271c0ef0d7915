"""The seven registers of the people family, described once for the generic pages (``views``) and URLs.

Each ``Register`` names its model, URL stem, list columns, form, filters, selector and services;
what a detail page adds to the facts (a role's holders, a person's assignments) is its ``extra``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from governance.models import (
    AimsRole,
    CommunicationPlanItem,
    CommunicationRecord,
    Competence,
    CompetenceRecord,
    Person,
    RoleAssignment,
)
from governance.people import filters, forms, selectors, services


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[Any], Any]
    link: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class Register:
    """One register: ``name`` prefixes its URL names (``person_list``, ``person_detail`` ...)."""

    name: str
    path: str
    model: type
    title: str
    clause: str
    intro: str
    form: type
    filterset: type
    queryset: Callable[..., Any]
    create: Callable[..., Any]
    update: Callable[..., Any]
    retire: Callable[..., Any] | None
    columns: tuple[Column, ...]
    more: Callable[[Any], dict[str, Any]] = lambda obj: {}
    more_template: str = ""
    create_label: str = "Add"
    retire_label: str = ""
    closed_label: str = ""
    sections: tuple[tuple[str, tuple[str, ...]], ...] = field(default_factory=tuple)

    @property
    def singular(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def names(self) -> dict[str, str]:
        """The URL names of the register's pages, for templates: ``{% url register.names.detail ms.pk obj.pk %}``."""
        views = ("list", "create", "detail", "history", "edit") + (("retire",) if self.retire else ())
        return {view: f"governance:{self.name}_{view}" for view in views}

    def cells(self, obj: Any) -> list[tuple[Any, str | None]]:
        """The list's cells of one row: (value, link or None)."""
        return [(column.value(obj), column.link(obj) if column.link else None) for column in self.columns]

    def url(self, view: str, obj: Any) -> str:
        return reverse(f"governance:{self.name}_{view}", args=[obj.management_system_id, obj.pk])


def _url(name: str) -> Callable[[Any], str | None]:
    def link(obj: Any) -> str | None:
        return None if obj is None else reverse(f"governance:{name}_detail", args=[obj.management_system_id, obj.pk])

    return link


def _date(value: Any) -> str:
    return value.strftime("%d %b %Y") if value else "–"


def _systems(assignment: RoleAssignment) -> str:
    systems = [s.name for s in assignment.ai_systems.all()]
    return ", ".join(systems) if systems else "All AI systems"


def _expiry(record: CompetenceRecord) -> str:
    return _date(record.expires_on) if record.expires_on else "No expiry"


PEOPLE = Register(
    name="person",
    path="people",
    model=Person,
    title="People",
    clause="5.3, 7.1",
    intro="Everyone with a part in the AI management system; a board member need not have an account.",
    form=forms.PersonForm,
    filterset=filters.PersonFilterSet,
    queryset=selectors.person_queryset,
    create=services.person_create,
    update=services.person_update,
    retire=services.person_mark_left,
    retire_label="Mark as left",
    closed_label="Left",
    create_label="Add a person",
    columns=(
        Column("Name", lambda p: p.name),
        Column("Job title", lambda p: p.job_title or "–"),
        Column("Department", lambda p: p.department or "–"),
        Column("Account", lambda p: p.account.get_username() if p.account else "No account"),
    ),
    more=lambda p: {"assignments": selectors.assignments_of(p), "records": selectors.records_of(p)},
    more_template="governance/people/partials/person_extra.html",
)

ROLES = Register(
    name="role",
    path="roles",
    model=AimsRole,
    title="AIMS roles",
    clause="5.3, A.3.2",
    intro="The roles of the AI management system with their responsibilities and authorities (5.3, A.3.2).",
    form=forms.RoleForm,
    filterset=filters.RoleFilterSet,
    queryset=selectors.role_queryset,
    create=services.role_create,
    update=services.role_update,
    retire=services.role_retire,
    create_label="Add a role",
    columns=(
        Column("Role", lambda r: r.name),
        Column(
            "Reports to", lambda r: r.reports_to.name if r.reports_to else "–", lambda r: _url("role")(r.reports_to)
        ),
        Column("Mandatory", lambda r: "Yes" if r.mandatory else "No"),
        Column("Required competences", lambda r: ", ".join(c.name for c in r.required_competences.all()) or "–"),
    ),
    more=lambda r: {"holders": selectors.holders_of(r)},
    more_template="governance/people/partials/role_extra.html",
)

ASSIGNMENTS = Register(
    name="assignment",
    path="assignments",
    model=RoleAssignment,
    title="Role assignments",
    clause="5.3",
    intro="Who holds which AIMS role, for which AI systems, from when to when, appointed by whom.",
    form=forms.AssignmentForm,
    filterset=filters.AssignmentFilterSet,
    queryset=selectors.assignment_queryset,
    create=services.assignment_create,
    update=services.assignment_update,
    retire=None,
    create_label="Assign a role",
    columns=(
        Column("Person", lambda a: a.person.name, lambda a: _url("person")(a.person)),
        Column("Role", lambda a: a.role.name, lambda a: _url("role")(a.role)),
        Column("AI systems", _systems),
        Column("From", lambda a: _date(a.starts_on)),
        Column("To", lambda a: _date(a.ends_on) if a.ends_on else "Open-ended"),
    ),
)

COMPETENCES = Register(
    name="competence",
    path="competences",
    model=Competence,
    title="Competences",
    clause="7.2",
    intro="The competences AIMS roles require (7.2 a), and how long a record of each stays valid.",
    form=forms.CompetenceForm,
    filterset=filters.CompetenceFilterSet,
    queryset=selectors.competence_queryset,
    create=services.competence_create,
    update=services.competence_update,
    retire=services.retire,
    create_label="Add a competence",
    columns=(
        Column("Competence", lambda c: c.name),
        Column("Valid for", lambda c: f"{c.validity_months} months" if c.validity_months else "No limit"),
        Column("Required by", lambda c: ", ".join(r.name for r in c.roles.all()) or "–"),
    ),
)

RECORDS = Register(
    name="competence_record",
    path="competence-records",
    model=CompetenceRecord,
    title="Competence records",
    clause="7.2",
    intro="Evidence of competence (7.2 d): basis, dates, and how the effectiveness of training was evaluated.",
    form=forms.CompetenceRecordForm,
    filterset=filters.CompetenceRecordFilterSet,
    queryset=selectors.record_queryset,
    create=services.competence_record_create,
    update=services.competence_record_update,
    retire=services.retire,
    create_label="Record a competence",
    columns=(
        Column("Person", lambda r: r.person.name, lambda r: _url("person")(r.person)),
        Column("Competence", lambda r: r.competence.name, lambda r: _url("competence")(r.competence)),
        Column("Basis", lambda r: r.get_basis_display()),
        Column("Achieved", lambda r: _date(r.achieved_on)),
        Column("Expires", _expiry),
    ),
)

PLAN = Register(
    name="plan_item",
    path="communication-plan",
    model=CommunicationPlanItem,
    title="Communication plan",
    clause="7.3, 7.4",
    intro="What the AIMS communicates, when, with whom, how and who communicates it (7.4); AI literacy items "
    "are flagged (EU AI Act Art. 4).",
    form=forms.PlanItemForm,
    filterset=filters.PlanItemFilterSet,
    queryset=selectors.plan_queryset,
    create=services.plan_item_create,
    update=services.plan_item_update,
    retire=services.retire,
    create_label="Add a plan item",
    columns=(
        Column("What", lambda i: i.subject),
        Column("When", lambda i: i.timing),
        Column("With whom", lambda i: i.audience),
        Column("How", lambda i: i.channel),
        Column("Who", lambda i: i.communicator.name if i.communicator else "–"),
        Column("AI literacy", lambda i: "Yes" if i.ai_literacy else "No"),
    ),
    more=lambda i: {"deliveries": selectors.records_of_plan_item(i)},
    more_template="governance/people/partials/plan_item_extra.html",
)

COMMUNICATIONS = Register(
    name="communication",
    path="communications",
    model=CommunicationRecord,
    title="Communication records",
    clause="7.3, 7.4, A.4.6",
    intro="Communications delivered and who acknowledged them; AI literacy training is recorded here with the "
    "AI literacy flag.",
    form=forms.CommunicationForm,
    filterset=filters.CommunicationFilterSet,
    queryset=selectors.communication_queryset,
    create=services.communication_create,
    update=services.communication_update,
    retire=services.retire,
    create_label="Record a communication",
    columns=(
        Column("Delivered", lambda r: _date(r.delivered_on)),
        Column("Audience", lambda r: r.audience),
        Column(
            "Plan item", lambda r: r.plan_item.subject if r.plan_item else "–", lambda r: _url("plan_item")(r.plan_item)
        ),
        Column("AI literacy", lambda r: "Yes" if r.ai_literacy else "No"),
        Column("Acknowledgements", lambda r: r.acknowledgements),
    ),
)

REGISTERS: dict[str, Register] = {
    r.name: r for r in (PEOPLE, ROLES, ASSIGNMENTS, COMPETENCES, RECORDS, PLAN, COMMUNICATIONS)
}
