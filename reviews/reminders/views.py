"""HTML page of the reminders family: a member turns their digest on or off and sees what was sent."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from aims.pages import open_management_system
from reviews.reminders import selectors, services
from reviews.reminders.forms import ReminderPreferenceForm


@login_required
@require_http_methods(["GET", "POST"])
def reminders(request: HttpRequest, ms_id: int) -> HttpResponse:
    """The member's own reminder preference (every member may change theirs) and their latest reminders."""
    ms = open_management_system(request, ms_id)
    data = request.POST if request.method == "POST" else None  # an unticked box posts nothing but the token
    form = ReminderPreferenceForm(data, initial={"email_digest": selectors.wants_digest(request.user)})
    if request.method == "POST" and form.is_valid():
        on = form.cleaned_data["email_digest"]
        services.reminder_preference_set(user=request.user, email_digest=on)
        messages.success(
            request, "The reminder digest is on." if on else "The reminder digest is off: no reminder e-mails."
        )
        return redirect(reverse("reviews:reminders", args=[ms.pk]))
    context = {
        "ms": ms,
        "form": form,
        "sent": selectors.recent_reminders(request.user, ms),
        "email": getattr(request.user, "email", ""),
    }
    return render(request, "reviews/reminders/reminders.html", context)
