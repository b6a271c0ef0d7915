"""The member's "My work" page: what waits for them in one management system, signatures first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from aims import access, work
from aims.pages import open_management_system


@login_required
@require_GET
def my_work(request: HttpRequest, ms_id: int) -> HttpResponse:
    ms = open_management_system(request, ms_id)
    today = timezone.localdate()
    items = work.work_for(request.user, ms, today)
    context = {
        "ms": ms,
        "today": today,
        "membership": access.membership_for(request.user, ms.pk),
        "groups": [(group, [(item, item.state(today)) for item in group.items]) for group in work.group_by_kind(items)],
        "count": len(items),
        "overdue": sum(1 for item in items if item.state(today) == "overdue"),
    }
    return render(request, "reviews/mywork/my_work.html", context)
