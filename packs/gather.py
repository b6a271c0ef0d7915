"""Read everything a pack shows, as it was at the pack's as-of moment.

The sections come from the registry in ``aims.pack_sections``: every app contributes its
own, each with a gatherer that reads the registers' history tables as of the pack's
moment. The number of queries is fixed by the number of sections, not by the size of the
registers; people are loaded by id in one query at the end. The cover's sizing facts are read
last (``packs.cover``), from what the sections already read where they can.

A scoped pack (``AuditPack.pack_scope``) holds only the sections in its scope; with AI systems
chosen, their ids are resolved here and each section keeps its rows that concern them. The
evidence the pack shows is settled last (``evidence.pack.settle_evidence``), and the scope goes
into the bundle as ``pack-scope.json``, listed (with its digest) in both manifests.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from aims.history import rows_as_of
from aims.models import ManagementSystem, Role
from aims.pack_gather import memberships_as_of
from aims.pack_sections import DocumentControl, PackData, PackScope, sections_for
from evidence.pack import settle_evidence
from packs.cover import gather_cover
from packs.models import AuditPack
from registers.models import AISystem
from registers.pack import inventory_as_of

SCOPE_FILE = "pack-scope.json"
RECORDS_VERSION = "Records as of the pack's as-of moment (atop every page)"
SCOPE_FORMAT = "aims-pack-scope/1"


def _ms_as_of(management_system: ManagementSystem, as_of: Any) -> Any:
    rows = rows_as_of(ManagementSystem, as_of, id=management_system.pk)
    return rows[0] if rows else management_system


def previous_pack(pack: AuditPack) -> AuditPack | None:
    """The latest ready pack of the same kind for an earlier as-of moment."""
    return (
        AuditPack.objects.filter(
            management_system_id=pack.management_system_id,
            kind=pack.kind,
            status=AuditPack.Status.READY,
            as_of__lt=pack.as_of,
        )
        .exclude(pk=pack.pk)
        .order_by("-as_of")
        .first()
    )


def resolve_scope(pack: AuditPack) -> PackScope:
    """The pack's scope with the chosen AI systems' ids (one query, only when systems were chosen)."""
    scope = pack.pack_scope
    if not scope.ai_systems:
        return scope
    ids = AISystem.objects.filter(
        management_system_id=pack.management_system_id, reference__in=scope.ai_systems
    ).values_list("pk", flat=True)
    return scope.with_ids(ids)


def gather_pack(pack: AuditPack) -> PackData:
    """Read everything the pack's sections (those in its scope) need, as of its as-of moment."""
    scope = resolve_scope(pack)
    data = PackData(
        pack=pack,
        management_system=_ms_as_of(pack.management_system, pack.as_of),
        sections=sections_for(pack.kind, scope),
        generated_at=timezone.now(),
        pack_scope=scope,
    )
    data.parts["previous_pack"] = previous_pack(pack)
    if scope.by_systems:
        inventory_as_of(data)  # notes the chosen systems first, so their evidence is the pack's whatever the sections
    for section in data.sections:
        section.gather(data)
    gather_cover(data)
    if not scope.is_whole:
        settle_evidence(data)
        data.parts.setdefault("bundle_json", []).append(
            (
                SCOPE_FILE,
                {"format": SCOPE_FORMAT, "pack": pack.pk, **scope.as_dict()},
                f"pack scope: {scope.describe()}",
            )
        )
    # The owners of the management system on the date own its documents (named by _load_users).
    data.parts["document_owners"] = [m for m in memberships_as_of(data) if m.role == Role.OWNER]
    _load_users(data)
    _document_controls(data)
    return data


def _document_controls(data: PackData) -> None:
    """Give every section its document control block: the section's own, or the register's default."""
    owners = [m.user_name for m in data.parts["document_owners"]]
    controls = data.parts.setdefault("document_controls", {})
    prefix = f"AIMS{data.management_system_id}"
    chapters = []
    for section in data.sections:
        control = controls.get(section.key) or DocumentControl(
            identifier="",
            # Not the as-of moment itself (it is on the cover and atop every page): a section shows only
            # what the records hold, so an unchanged section is the same document from pack to pack
            # and is read back from the section cache (packs.parallel) instead of being rendered again.
            version=RECORDS_VERSION,
            note="A record kept in the register, not a document approved as a whole.",
        )
        control.identifier = control.identifier or f"{prefix}-{section.key.upper().replace('_', '-')}"
        control.owner = control.owner or ", ".join(owners) or "(no owner recorded)"
        chapters.append((section, control))
    data.parts["chapters"] = chapters


_PERSON_ATTRS = ("owner_id", "user_id", "history_user_id", "signer_id", "approved_by_id", "uploaded_by_id")


def _people_rows(data: PackData) -> list[Any]:
    return [row for value in data.parts.values() if isinstance(value, list) for row in value]


def _load_users(data: PackData) -> None:
    """Load every person the pack names in one query and give rows a ``<attr>_name``."""
    rows = _people_rows(data)
    ids = {data.pack.requested_by_id}
    ids.update(getattr(row, attr) for row in rows for attr in _PERSON_ATTRS if getattr(row, attr, None))
    users = get_user_model().objects.in_bulk(ids)
    data.users = users
    for row in rows:
        for attr in _PERSON_ATTRS:
            user_id = getattr(row, attr, None)
            if user_id:
                setattr(row, attr[:-3] + "_name", person_name(users.get(user_id)))
    data.parts["requested_by_name"] = person_name(users.get(data.pack.requested_by_id))


def person_name(user: Any) -> str:
    if user is None:
        return "(unknown)"
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()
