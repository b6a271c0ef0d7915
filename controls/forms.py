"""Forms of the Statement of Applicability: one per row (inline editing), filters, approval."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from aims.forms import VersionedFormMixin
from controls.models import Applicability
from controls.selectors import SHOW_CHOICES


class ApplicabilityForm(VersionedFormMixin, forms.Form):
    """Decide, justify and progress one SoA row (the row editor).

    The AI systems it offers are only those the editor lists (the linked ones and a search's
    results, ``listed_systems``): ``ai_systems`` are the ticked ones and ``shown_systems`` every
    one listed. Saving changes the links of the listed systems only and keeps every other link,
    so a search that does not find a linked system cannot unlink it.
    """

    applicable = forms.ChoiceField(label="Applicable", choices=Applicability.Decision.choices)
    justification = forms.CharField(
        label="Justification",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the control is included or excluded (clause 6.1.3).",
    )
    implementation_status = forms.ChoiceField(
        label="Implementation status", choices=Applicability.ImplementationStatus.choices
    )
    owner = forms.TypedChoiceField(label="Control owner", required=False, coerce=int, empty_value=None)
    implementation_notes = forms.CharField(
        label="Implementation notes", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    ai_systems = forms.TypedMultipleChoiceField(
        label="Linked AI systems", required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    shown_systems = forms.TypedMultipleChoiceField(required=False, coerce=int, widget=forms.MultipleHiddenInput)
    last_reviewed = forms.DateField(
        label="Last reviewed", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    default_reason = "SoA row updated via the web"

    def __init__(
        self,
        *args: Any,
        row: Applicability,
        owners: list[tuple[int, str]],
        systems: list[tuple[int, str]],
        owner_objects: dict[int, Any] | None = None,
        system_objects: dict[int, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("prefix", f"row-{row.pk}")
        kwargs.setdefault("initial", self.initial_for(row))
        super().__init__(*args, **kwargs)
        self.row = row
        self.fields["owner"].choices = [("", "Nobody yet"), *owners]
        # Required for included and excluded controls alike (clause 6.1.3), not while undecided.
        self.fields["justification"].required_note = "required once decided"
        self.fields["ai_systems"].choices = systems
        self.fields["shown_systems"].choices = systems
        self.owner_objects = owner_objects or {}
        self.system_objects = system_objects or {}

    @staticmethod
    def posted_system_ids(data: Any, row: Applicability, limit: int = 2000) -> list[int]:
        """The AI system ids a POST names (ticked or listed), as whole numbers, at most ``limit``."""
        from aims.limits import parse_id

        prefix = f"row-{row.pk}-"
        raw = [*data.getlist(prefix + "ai_systems"), *data.getlist(prefix + "shown_systems")]
        return list(dict.fromkeys(pk for pk in map(parse_id, raw[:limit]) if pk is not None))

    @staticmethod
    def initial_for(row: Applicability) -> dict[str, Any]:
        return {
            "applicable": row.applicable,
            "justification": row.justification,
            "implementation_status": row.implementation_status,
            "owner": row.owner_id or "",
            "implementation_notes": row.implementation_notes,
            "ai_systems": [s.pk for s in getattr(row, "linked_systems", [])],
            "shown_systems": [s.pk for s in getattr(row, "linked_systems", [])],
            "last_reviewed": row.last_reviewed,
            "version": row.version,
        }

    def linked_after(self, linked_now: Iterable[int]) -> list[int]:
        """The row's links once saved: those now that were not listed, plus the ticked ones."""
        ticked = {pk for pk in self.cleaned_data["ai_systems"] if pk in self.system_objects}
        listed = set(self.cleaned_data["shown_systems"]) | ticked
        return sorted({pk for pk in linked_now if pk not in listed} | ticked)

    def service_fields(self, linked_now: Iterable[int]) -> dict[str, Any]:
        """Cleaned values as the service takes them (the owner as an object, linked systems as ids)."""
        data = self.cleaned_data
        return {
            "applicable": data["applicable"],
            "justification": data["justification"].strip(),
            "implementation_status": data["implementation_status"],
            "owner": self.owner_objects.get(data["owner"]) if data["owner"] else None,
            "implementation_notes": data["implementation_notes"],
            "ai_systems": self.linked_after(linked_now),
            "last_reviewed": data["last_reviewed"],
        }


class SoAFilterForm(forms.Form):
    show = forms.ChoiceField(label="Show", choices=list(SHOW_CHOICES.items()), required=False)
    owner = forms.TypedChoiceField(label="Control owner", required=False, coerce=int, empty_value=None)
    as_of = forms.CharField(
        label="As of",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "YYYY-MM-DD", "inputmode": "numeric"}),
        help_text="A past date (end of that day) or date and time: the SoA exactly as it stood then.",
    )

    def __init__(self, *args: Any, owners: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [("", "Anyone"), *owners]

    def clean_as_of(self) -> datetime | None:
        value = (self.cleaned_data.get("as_of") or "").strip()
        if not value:
            return None
        return parse_as_of(value)

    def filters(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        return {"show": self.cleaned_data.get("show") or "", "owner": self.cleaned_data.get("owner")}


def parse_as_of(value: str) -> datetime:
    """A date means the end of that day; a datetime is taken as is (current time zone if naive)."""
    try:
        day = parse_date(value)
        moment = datetime.combine(day, time.max) if day else parse_datetime(value)
    except ValueError:
        moment = None
    if moment is None:
        raise forms.ValidationError("Give a date as YYYY-MM-DD, or a date and time as YYYY-MM-DDTHH:MM.")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + timedelta(days=1):
        raise forms.ValidationError("As of must not be in the future.")
    return moment
