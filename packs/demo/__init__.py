"""Demo step of the audit packs: the auditor requests a first full pack (rendered when a worker runs)."""

from __future__ import annotations

from aims.demo import Demo
from packs.models import AuditPack
from packs.services import pack_request


def load(demo: Demo) -> None:
    """Queue a full pack as the auditor once, so the demo's worker has one ready to download."""
    if not AuditPack.objects.filter(management_system=demo.acme).exists():
        pack_request(management_system=demo.acme, user=demo.users["auditor"], kind=AuditPack.Kind.FULL)
