"""The improvement loop's records (clauses 9.2 and 10, Annex A.3.3, A.8.3, A.8.4).

One module per register family: internal audits (programme, audits, checks, findings),
nonconformities (with corrective actions and effectiveness reviews) and AI incidents.
"""

from improvement.models.audits import (
    AuditCheck,
    AuditProgramme,
    Finding,
    InternalAudit,
    InternalAuditGroupObjectPermission,
    InternalAuditUserObjectPermission,
    ProgrammeItem,
)
from improvement.models.incidents import (
    Incident,
    IncidentGroupObjectPermission,
    IncidentUserObjectPermission,
    ReportingObligation,
    TimelineEntry,
)
from improvement.models.nonconformities import (
    CorrectiveAction,
    CorrectiveActionGroupObjectPermission,
    CorrectiveActionUserObjectPermission,
    EffectivenessReview,
    Nonconformity,
)

__all__ = [
    "AuditCheck",
    "AuditProgramme",
    "CorrectiveAction",
    "CorrectiveActionGroupObjectPermission",
    "CorrectiveActionUserObjectPermission",
    "EffectivenessReview",
    "Finding",
    "Incident",
    "IncidentGroupObjectPermission",
    "IncidentUserObjectPermission",
    "InternalAudit",
    "InternalAuditGroupObjectPermission",
    "InternalAuditUserObjectPermission",
    "Nonconformity",
    "ProgrammeItem",
    "ReportingObligation",
    "TimelineEntry",
]
