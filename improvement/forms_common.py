"""What the forms of the three improvement families share: the date widget, text areas, people fields."""

from __future__ import annotations

from django import forms

from aims.forms import user_label
from aims.models import ManagementSystem
from aims.selectors import owner_candidates

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def rows(n: int = 3) -> forms.Textarea:
    """A text area ``n`` rows high."""
    return forms.Textarea(attrs={"rows": n})


def people_field(field: forms.Field, management_system: ManagementSystem) -> None:
    """Offer the members who may own something in the management system, named as the pages name them."""
    field.queryset = owner_candidates(management_system)
    field.label_from_instance = user_label
