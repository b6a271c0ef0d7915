"""Wiring of the objectives family into the kit: evidence links and the pack section."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

import evidence
from governance.models import Metric, Objective
from governance.objectives import pack


def objective_url(objective: Any) -> str:
    return reverse("governance:objective_detail", args=[objective.management_system_id, objective.pk])


def metric_url(metric: Any) -> str:
    return reverse("governance:metric_detail", args=[metric.management_system_id, metric.pk])


def register() -> None:
    """Called from GovernanceConfig.ready()."""
    evidence.register_linkable(
        Objective, key="objectives", label="AI objectives", order=70, url=objective_url, compact=True
    )
    evidence.register_linkable(Metric, key="metrics", label="Metrics", order=71, url=metric_url, compact=True)
    pack.register()
