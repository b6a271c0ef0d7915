"""Whether a sign-off still holds on a given date: what a pack says about every signed record.

A pack dated before a record's change says "accepted"; one dated after says "changed since
acceptance", with the version that stands on the pack's date and the fields that changed.
Everything is computed from history rows as they stood at the pack's as-of moment, for all
records of one kind at once (one query per model whatever the number of records).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aims import ledger
from aims.models import SignOff

# History bookkeeping and fields every save changes: not a change of what was signed.
_NOT_CONTENT = frozenset(
    {
        "history_id",
        "history_date",
        "history_change_reason",
        "history_type",
        "history_user_id",
        "history_relation_id",
        "model",
        "updated_at",
        "version",
    }
)


@dataclass(frozen=True)
class RecordChange:
    """One record of what was signed that differs on the pack's date."""

    label: str
    state: str  # "changed", "added" or "removed"
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.state == "added":
            return f"{self.label} added"
        if self.state == "removed":
            return f"{self.label} removed"
        return f"{self.label}: {', '.join(self.fields)}" if self.fields else self.label


@dataclass
class Currency:
    """A subject's latest sign-off of one kind on the pack's date, and what changed since."""

    kind: str
    signoff: SignOff | None
    signed_version: int | None = None
    version: int | None = None
    changes: list[RecordChange] = field(default_factory=list)

    @property
    def done_label(self) -> str:
        return ledger.signable(self.kind).done_label

    @property
    def done_noun(self) -> str:
        """ "acceptance" for an accepted risk, "approval" for what is approved."""
        return {"accepted": "acceptance", "approved": "approval"}.get(self.done_label.lower(), "sign-off")

    @property
    def signed(self) -> bool:
        return self.signoff is not None

    @property
    def changed_since(self) -> bool:
        return bool(self.changes)

    @property
    def state(self) -> str:
        """``unsigned``, ``current`` or ``changed``."""
        if self.signoff is None:
            return "unsigned"
        return "changed" if self.changes else "current"


def _label_of(row: Any) -> str:
    return type(row).instance_type._meta.label_lower


def currencies(
    kind: str,
    latest: dict[int, SignOff],
    subjects: Iterable[tuple[int, int | None, list[Any]]],
    *,
    name_of: Callable[[dict[str, Any]], str] | None = None,
    own_row_first: bool = True,
) -> dict[int, Currency]:
    """The currency of each subject: ``subjects`` yields (subject id, its version on the date, its history rows then).

    ``latest`` maps subject ids to their latest sign-off of ``kind`` on the date. The history
    rows are the records the sign-off kind signs (the record and, say, its treatment actions),
    as they stood on the pack's date. Signed and current versions are read the way the ledger
    reads them for a digest (fields and links), so a change of any signed field shows.
    ``name_of`` names a record in a change from its version's fields (its reference by default).
    With ``own_row_first`` the subject's own row comes first among its rows (a risk before its
    actions), and its signed version number is read from it; the SoA has no row of its own.
    """
    name_of = name_of or _default_name
    subjects = list(subjects)
    keys: set[tuple[str, int]] = set()
    for subject_id, _version, rows in subjects:
        signoff = latest.get(subject_id)
        if signoff is not None:
            keys.update((label, int(history_id)) for label, history_id in signoff.versions)
            keys.update((_label_of(row), row.history_id) for row in rows)
    loaded = ledger.load_versions(sorted(keys))
    result: dict[int, Currency] = {}
    for subject_id, version, rows in subjects:
        signoff = latest.get(subject_id)
        if signoff is None:
            result[subject_id] = Currency(kind, None, version=version)
            continue
        signed = {}
        for label, history_id in signoff.versions:
            data = loaded.get((label, int(history_id)))
            if data is not None:
                signed[(label, data["id"])] = data
        now = {(_label_of(row), row.id): loaded[(_label_of(row), row.history_id)] for row in rows}
        changes = []
        for key in sorted(set(signed) | set(now)):
            before, after = signed.get(key), now.get(key)
            if before is None:
                changes.append(RecordChange(name_of(after), "added"))
            elif after is None:
                changes.append(RecordChange(name_of(before), "removed"))
            elif before["history_id"] != after["history_id"]:
                names = _changed_fields(key[0], before, after)
                if names:
                    changes.append(RecordChange(name_of(after), "changed", names))
        own = signed.get((_label_of(rows[0]), subject_id)) if own_row_first and rows else None
        signed_version = own.get("version") if own else None
        result[subject_id] = Currency(kind, signoff, signed_version=signed_version, version=version, changes=changes)
    return result


def _changed_fields(label: str, before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    model = ledger.history_model(label).instance_type
    # A record's move through its workflow (a status, a closure date) is not a change of what was signed.
    workflow = {model._meta.get_field(name).attname for name in getattr(model, "workflow_fields", ())}
    names = []
    for key in sorted(set(before) | set(after)):
        if key in _NOT_CONTENT or key in workflow or before.get(key) == after.get(key):
            continue
        names.append(_verbose(model, key))
    return tuple(dict.fromkeys(names))


def _verbose(model: type, attname: str) -> str:
    for f in model._meta.get_fields():
        if getattr(f, "attname", None) == attname or f.name == attname:
            return str(getattr(f, "verbose_name", f.name))
    return attname.replace("_", " ")


def _default_name(version: dict[str, Any]) -> str:
    reference = version.get("reference")
    if reference:
        return str(reference)
    title = version.get("title") or version.get("name") or version.get("description") or ""
    model = ledger.history_model(version["model"]).instance_type
    verbose = model._meta.verbose_name
    return f"{verbose} “{str(title)[:60]}”" if title else f"{verbose} #{version['id']}"
