"""Demo management-system records for Acme Health, one module per family, loaded in this order.

``load(demo)`` runs after the AI systems and before the improvement loop (``hooks`` order 35);
each family's ``load`` is idempotent and writes through the services.
"""

from __future__ import annotations

import importlib

from aims.demo import Demo
from governance.documents.seeding import seed_required_documents
from governance.people.seed import seed_aims_roles

ORDER = ("people", "context", "documents", "scope", "objectives", "citations")


def load(demo: Demo) -> None:
    # A demo database made before this app existed has management systems without the seeded
    # roles and documents (new ones get them when created): add what is missing first.
    for ms, owner in ((demo.acme, demo.acme_users["owner"]), (demo.northwind, demo.users["outsider"])):
        seed_aims_roles(ms, owner)
        seed_required_documents(ms, owner)
    for family in ORDER:
        importlib.import_module(f"governance.demo.{family}").load(demo)
