"""The six AIMS roles every management system starts with (5.3, A.3.2).

Seeded when a management system is created (``aims.hooks.on_management_system_created``) and by
``manage.py seed_aims_roles`` for management systems that existed before. Seeding is idempotent
by ``key``: a role whose key exists (even retired) is left alone. An organisation edits the
texts; the key is how code (``holds_aims_role``) refers to the role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from aims.models import ManagementSystem
from aims.services import next_reference
from governance.models import AimsRole

SEED_REASON = "AIMS role seeded"


@dataclass(frozen=True)
class SeedRole:
    key: str
    name: str
    responsibilities: str
    authorities: str
    reports_to: str  # the key of the role it reports to, or ""
    mandatory: bool


SEED_ROLES: tuple[SeedRole, ...] = (
    SeedRole(
        AimsRole.TOP_MANAGEMENT,
        "Top management",
        "Demonstrate leadership and commitment to the AI management system (5.1): establish the AI policy and "
        "the AI objectives, make sure the AIMS is integrated into the organisation's processes, provide the "
        "resources it needs, communicate why effective AI management matters, and direct and support the people "
        "who contribute to it. Review the management system at planned intervals (9.3).",
        "Approve the scope, the AI policy, the Statement of Applicability and the acceptance of residual risks; "
        "assign and revoke AIMS roles; decide on resources and on the management review's outputs.",
        "",
        True,
    ),
    SeedRole(
        AimsRole.AIMS_MANAGER,
        "AIMS manager",
        "Make sure the AI management system conforms to ISO/IEC 42001 and report its performance to top "
        "management (5.3 a and b): keep the registers, documents and records current, run the risk and impact "
        "assessment processes, coordinate the internal audit programme and the management review, track "
        "nonconformities and corrective actions to closure.",
        "Change the registers and controlled documents in draft; require information from AI system owners and "
        "risk owners; escalate to top management any risk or nonconformity left without an owner or action.",
        AimsRole.TOP_MANAGEMENT,
        True,
    ),
    SeedRole(
        AimsRole.INTERNAL_AUDITOR,
        "Internal auditor",
        "Plan and carry out internal audits of the AI management system (9.2) objectively and impartially; "
        "record findings with their evidence and report the results to the management concerned.",
        "Access every record, document and person within the audit's scope; raise findings and nonconformities. "
        "Does not audit their own work.",
        AimsRole.TOP_MANAGEMENT,
        True,
    ),
    SeedRole(
        AimsRole.RISK_OWNER,
        "Risk owner",
        "Own AI risks (6.1.2 d): understand each risk's causes and consequences, approve its treatment plan, "
        "see that the treatment is carried out and the risk reviewed when the AI system or its context changes.",
        "Accept residual risks within the risk criteria; request changes to controls and to AI systems to treat "
        "a risk; refer risks above the criteria to top management.",
        AimsRole.TOP_MANAGEMENT,
        True,
    ),
    SeedRole(
        AimsRole.AI_SYSTEM_OWNER,
        "AI system owner",
        "Be accountable for an AI system over its life cycle (A.3.2, A.6): its intended use, its records in the "
        "inventory, its impact assessment, its verification before release, its monitoring in operation and its "
        "retirement; report incidents and concerns about it.",
        "Decide on the system's release, changes and withdrawal within the approved risk treatment; stop or "
        "restrict the system's use when it does not behave as intended.",
        AimsRole.AIMS_MANAGER,
        True,
    ),
    SeedRole(
        AimsRole.HUMAN_OVERSIGHT_OPERATOR,
        "Human oversight operator",
        "Oversee an AI system in operation as its instructions for use require (A.9.2, EU AI Act Art. 14 and "
        "26): understand its capabilities and limits, watch for automation bias, interpret its outputs and "
        "check them before they affect people, and report anomalies and incidents.",
        "Disregard, override or reverse an output of the AI system; interrupt or stop its use when it puts "
        "health, safety or rights at risk.",
        AimsRole.AI_SYSTEM_OWNER,
        False,
    ),
)

# Roles are inserted in tiers, so that each tier's ``reports_to`` exists when it is written.
TIERS: tuple[tuple[str, ...], ...] = (
    (AimsRole.TOP_MANAGEMENT,),
    (AimsRole.AIMS_MANAGER, AimsRole.INTERNAL_AUDITOR, AimsRole.RISK_OWNER),
    (AimsRole.AI_SYSTEM_OWNER,),
    (AimsRole.HUMAN_OVERSIGHT_OPERATOR,),
)
SEED_BY_KEY = {role.key: role for role in SEED_ROLES}


def _first_number(management_system: ManagementSystem, fresh: bool) -> int:
    if fresh:
        return 1
    match = re.fullmatch(rf"{AimsRole.reference_prefix}-(\d+)", next_reference(AimsRole, management_system))
    return int(match.group(1)) if match else 1


def seed_aims_roles(
    management_system: ManagementSystem, user: AbstractBaseUser | None = None, *, fresh: bool = False
) -> list[AimsRole]:
    """Create the seeded roles the management system lacks (by key), each with its first history row.

    ``fresh``: the management system was just created and has no role yet (saves the lookups).
    """
    with transaction.atomic():
        have: dict[str, AimsRole] = {}
        if not fresh:
            ManagementSystem.objects.select_for_update().filter(pk=management_system.pk).exists()
            have = {r.key: r for r in AimsRole.objects.filter(management_system=management_system).exclude(key="")}
        number = _first_number(management_system, fresh)
        created: list[AimsRole] = []
        now = timezone.now()
        for tier in TIERS:
            rows = []
            for key in tier:
                if key in have:
                    continue
                spec = SEED_BY_KEY[key]
                rows.append(
                    AimsRole(
                        management_system=management_system,
                        reference=f"{AimsRole.reference_prefix}-{number:03d}",
                        key=spec.key,
                        name=spec.name,
                        responsibilities=spec.responsibilities,
                        authorities=spec.authorities,
                        reports_to=have.get(spec.reports_to),
                        mandatory=spec.mandatory,
                    )
                )
                number += 1
            if rows:
                rows = _insert(rows, management_system, user, now)
                have.update({row.key: row for row in rows})
                created.extend(rows)
    return created


def _insert(rows: list[AimsRole], management_system: ManagementSystem, user, now) -> list[AimsRole]:
    saved = bulk_create_with_history(
        rows, AimsRole, default_user=user, default_change_reason=SEED_REASON, default_date=now
    )
    if any(row.pk is None for row in saved):  # databases that return no ids from a bulk insert
        by_ref = {
            r.reference: r
            for r in AimsRole.objects.filter(
                management_system=management_system, reference__in=[row.reference for row in rows]
            )
        }
        saved = [by_ref[row.reference] for row in rows]
    return saved


def on_management_system_created(management_system: ManagementSystem, user: AbstractBaseUser | None) -> None:
    """Seed the six roles in a new management system (the ``aims.hooks`` callback)."""
    seed_aims_roles(management_system, user, fresh=True)
