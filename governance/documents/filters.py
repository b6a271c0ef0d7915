"""Filters of the master list of documents and of document versions, shared by the pages and the API lists."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from aims.filters import ANY, RecordChoiceFilter, RegisterFilterSet, SearchFilter, StatusFilter, YesNoFilter
from governance.documents.selectors import has_version, review_overdue
from governance.models import Document, DocumentVersion

Status = DocumentVersion.Status
STATES = [
    ("approved", "Approved"),
    ("not_approved", "Never approved"),
    ("in_review", "A version in review"),
    ("draft", "A draft in progress"),
]


class DocumentStateFilter(django_filters.ChoiceFilter):
    """``state``: documents with an approved version, none, a version in review, or a draft."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value == "approved":
            return qs.filter(has_version(Status.APPROVED))
        if value == "not_approved":
            return qs.exclude(has_version(Status.APPROVED))
        if value in (Status.IN_REVIEW, Status.DRAFT):
            return qs.filter(has_version(value))
        return qs


class DocumentFilterSet(RegisterFilterSet):
    """The master list: search, type, state of its versions, overdue for review; in use or withdrawn."""

    q = SearchFilter("identifier", "title", "reference")
    doc_type = django_filters.ChoiceFilter(label="Type", choices=Document.Type.choices, empty_label=ANY)
    state = DocumentStateFilter(label="Status", choices=STATES, empty_label=ANY)
    overdue = YesNoFilter(review_overdue, label="Review overdue")
    status = StatusFilter()


class DocumentVersionFilterSet(RegisterFilterSet):
    """Document versions: search, document, status."""

    q = SearchFilter("reference", "change_summary", "document__identifier", "document__title")
    document = RecordChoiceFilter(Document, label="Document")
    status = django_filters.ChoiceFilter(label="Status", choices=Status.choices, empty_label=ANY)
