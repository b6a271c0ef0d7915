"""Sign-off kinds of the improvement loop, as these tests need them.

The register families register the real kinds; here each kind signs the record's latest
version with its children's, and anyone visible may sign, so the pack is tested on its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from aims import ledger
from improvement import pack
from improvement.models import AuditProgramme, Incident, InternalAudit, Nonconformity

KINDS = {
    pack.PROGRAMME_APPROVAL: (AuditProgramme, ("items",), "Approved"),
    pack.REPORT_SIGNATURE: (InternalAudit, ("checks",), "Signed"),
    pack.REPORT_ACKNOWLEDGEMENT: (InternalAudit, (), "Acknowledged"),
    pack.NC_CLOSURE: (Nonconformity, ("actions", "reviews"), "Closed"),
    pack.REPORTING_DECISION: (Incident, ("obligations",), "Decided"),
}


def _versions(children: tuple[str, ...]) -> Any:
    def versions(subject: Any) -> list[Any]:
        rows = [subject.history.order_by("-history_id").first()]
        for name in children:
            rows += [child.history.order_by("-history_id").first() for child in getattr(subject, name).all()]
        return [row for row in rows if row is not None]

    return versions


@pytest.fixture
def improvement_kinds(monkeypatch):
    """Register the improvement loop's sign-off kinds for one test (the real ones are put back after)."""
    for kind, (model, children, done) in KINDS.items():
        spec = ledger.Signable(
            kind=kind, label=kind.replace("_", " ").capitalize(), subject_model=model, versions=_versions(children),
            may_sign=lambda user, subject: True, done_label=done,
        )  # fmt: skip
        monkeypatch.setitem(ledger._SIGNABLES, kind, spec)


@pytest.fixture
def no_improvement_kinds(monkeypatch):
    """As in a register where no family has registered its sign-off kinds yet."""
    for kind in KINDS:
        monkeypatch.delitem(ledger._SIGNABLES, kind, raising=False)
