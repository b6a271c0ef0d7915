"""The admin site: for superusers only, whatever permissions a staff account was given."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.http import HttpRequest


class SuperuserAdminSite(AdminSite):
    site_header = "AIMS register administration"
    site_title = "AIMS register admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)
