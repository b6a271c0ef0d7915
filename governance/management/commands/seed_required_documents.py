"""Add the required documents (with their starter texts) to management systems created before they existed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from aims.models import ManagementSystem
from governance.documents.seeding import seed_required_documents


class Command(BaseCommand):
    help = "Seed the documents ISO/IEC 42001 requires in every management system that lacks them (idempotent, by key)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--management-system", type=int, help="Only this management system (its id).")

    def handle(self, *args: Any, **options: Any) -> None:
        systems = ManagementSystem.objects.order_by("pk")
        if options.get("management_system"):
            systems = systems.filter(pk=options["management_system"])
        total = 0
        for ms in systems:
            added = seed_required_documents(ms, None)
            total += len(added)
            if added:
                self.stdout.write(f"{ms}: {len(added)} document(s) added.")
        self.stdout.write(self.style.SUCCESS(f"{total} required document(s) added in all."))
