"""The Statement of Applicability as a signable object: all its rows, at their signed versions."""

from __future__ import annotations

from urllib.parse import urlencode

from django.db import transaction
from django.db.models import Max
from django.urls import reverse

from aims import ledger
from aims.models import ManagementSystem, SignOff
from controls.models import Applicability

SOA = "soa"


def soa_versions(management_system: ManagementSystem) -> list:
    """The latest history row of every SoA row of the management system."""
    latest = (
        Applicability.history.filter(management_system_id=management_system.pk)
        .values("id")
        .annotate(last=Max("history_id"))
        .values_list("last", flat=True)
    )
    return list(Applicability.history.filter(history_id__in=list(latest)).order_by("history_id"))


def soa_blockers(management_system: ManagementSystem, *, lock: bool = False) -> list[str]:
    """What stops the SoA from being approved: undecided and unjustified rows."""
    rows = Applicability.objects.filter(management_system=management_system).select_related("control")
    if lock and transaction.get_connection().in_atomic_block:
        # Inside the sign-off's transaction: no row may change between this check and the
        # reading of the versions that are signed.
        rows = rows.select_for_update(of=("self",))
    missing = []
    for row in sorted(rows, key=lambda r: r.control.position):
        if not row.is_decided:
            missing.append(f"{row.control.key} {row.control.title}: not decided yet (include or exclude it).")
        elif not row.is_justified:
            missing.append(f"{row.control.key} {row.control.title}: no justification for the decision.")
    if not missing and not rows:
        missing.append("The Statement of Applicability has no rows.")
    return missing


def soa_diff_url(management_system: ManagementSystem, signoff: SignOff) -> str:
    return reverse("controls:soa_changes", args=[management_system.pk]) + f"?since={signoff.pk}"


def soa_as_signed_url(signoff: SignOff) -> str:
    """The SoA page as of the moment of the sign-off: exactly what was approved."""
    when = signoff.signed_at.isoformat()
    return reverse("controls:soa", args=[signoff.management_system_id]) + "?" + urlencode({"as_of": when})


def register() -> None:
    """Declare the SoA approval as a kind of sign-off."""
    ledger.register_signable(
        SOA,
        label="Statement of Applicability approval",
        subject_model=ManagementSystem,
        versions=soa_versions,
        blockers=lambda management_system: soa_blockers(management_system, lock=True),
        diff_url=soa_diff_url,
        subject_url=soa_as_signed_url,
        statement="I approve this Statement of Applicability: the controls included and excluded, and their "
        "justifications.",
        rule=lambda management_system: (
            "Top management approves the SoA once every control is decided and "
            "justified; the approval binds all its rows as they stand now."
        ),
    )
