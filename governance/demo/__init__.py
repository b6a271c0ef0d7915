"""Demo management-system records for Acme Health, one module per family, loaded in this order.

``load(demo)`` runs after the AI systems and before the improvement loop (``hooks`` order 35);
each family's ``load`` is idempotent and writes through the services.
"""

from __future__ import annotations

import importlib

from aims.demo import Demo

ORDER = ("people", "context", "documents", "scope", "objectives")


def load(demo: Demo) -> None:
    for family in ORDER:
        importlib.import_module(f"governance.demo.{family}").load(demo)
