"""``manage.py seed_aims_roles``: give management systems created before the AIMS roles existed their six roles."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from aims.models import ManagementSystem
from governance.people.seed import seed_aims_roles


class Command(BaseCommand):
    help = "Create the seeded AIMS roles (top management, AIMS manager, ...) missing in each management system."

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for management_system in ManagementSystem.objects.order_by("pk"):
            created = seed_aims_roles(management_system)
            total += len(created)
            if created:
                self.stdout.write(f"{management_system}: {', '.join(role.name for role in created)}")
        self.stdout.write(self.style.SUCCESS(f"{total} role{'s' if total != 1 else ''} created."))
