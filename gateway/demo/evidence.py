"""Demo step of the gateway's own evidence: after the demo traffic, a checkpoint and the evidence records.

Not registered here: the integrator registers it after the traffic step (``hooks.register_demo_step``).
"""

from __future__ import annotations

from aims.demo import Demo
from gateway.evidence import checkpoints, records


def load(demo: Demo) -> None:
    """Checkpoint every gateway chain into the sign-off chains, then record this period's activity so far."""
    for management_system in (demo.acme, demo.northwind):
        taken = checkpoints.checkpoint_take(management_system=management_system, reason="demo")
        if taken is not None:
            demo.created.append(f"{taken.checkpoint.reference} gateway checkpoint (sign-off #{taken.signoff.sequence})")
    for record in records.evidence_build(include_current=True):
        demo.created.append(f"{record.evidence.reference} {record.evidence.title}")
