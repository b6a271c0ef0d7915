"""Filters of the evidence list, shared by the page and the API list endpoint."""

from __future__ import annotations

from django.db.models import QuerySet

from aims.filters import FlagFilter, RegisterFilterSet, SearchFilter
from evidence.models import Evidence


class EvidenceFilterSet(RegisterFilterSet):
    """Evidence: search by title or reference; current versions only unless ``all`` asks for every version."""

    q = SearchFilter("title", "reference")
    all = FlagFilter(
        label="Include superseded versions",
        method="filter_versions",
        description="True: every version; false or left out: current versions only.",
    )

    def filter_versions(self, queryset: QuerySet[Evidence], name: str, value: bool) -> QuerySet[Evidence]:
        return queryset if value else queryset.filter(is_superseded=False)

    def filter_queryset(self, queryset: QuerySet[Evidence]) -> QuerySet[Evidence]:
        # An invalid ``all`` is ignored like any invalid filter, which leaves the current versions.
        if "all" in self.form.errors:
            queryset = queryset.filter(is_superseded=False)
        return super().filter_queryset(queryset)
