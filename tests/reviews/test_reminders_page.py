"""The reminders page: every member turns their own digest on or off and sees what was last sent to them."""

from __future__ import annotations

from django.urls import reverse

from reviews.models import ReminderPreference, ReminderSent
from reviews.reminders import selectors
from tests.kit import assert_constant_queries, get_ok


def _url(ms) -> str:
    return reverse("reviews:reminders", args=[ms.pk])


def test_a_read_only_member_turns_their_own_digest_off_and_on(world, client_as):
    client = client_as("auditor")
    page = client.get(_url(world.acme))
    assert page.status_code == 200 and page.context["form"].initial == {"email_digest": True}
    # Whatever else is posted, only the poster's own preference changes.
    response = client.post(_url(world.acme), {"user": world.officer.pk}, follow=True)
    assert response.redirect_chain == [(_url(world.acme), 302)]
    assert "The reminder digest is off" in response.content.decode()
    assert not selectors.wants_digest(world.auditor) and selectors.wants_digest(world.officer)
    assert not ReminderPreference.objects.filter(user=world.officer).exists()
    client.post(_url(world.acme), {"email_digest": "on"})
    assert selectors.wants_digest(world.auditor)


def test_the_form_needs_its_csrf_token_and_outsiders_get_404(world, client_as):
    assert client_as("contributor", csrf=True).post(_url(world.acme), {}).status_code == 403
    assert selectors.wants_digest(world.contributor)
    for persona in ("outsider", "expired_auditor"):
        client = client_as(persona)
        assert client.get(_url(world.acme)).status_code == 404
        assert client.post(_url(world.acme), {}).status_code == 404
        assert selectors.wants_digest(world.users[persona])
    assert client_as("anonymous").get(_url(world.acme)).status_code == 302


def test_the_page_lists_this_systems_latest_reminders_in_constant_queries(world, client_as):
    def remind(ms, title: str, n: int = 0, user=world.officer) -> None:
        ReminderSent.objects.create(user=user, management_system=ms, key=f"{title}:{n}", state="due", title=title)

    remind(world.acme, "Approve the AI policy")
    remind(world.northwind, "Northwind review")
    remind(world.acme, "Someone else's", user=world.leader)
    client = client_as("officer")
    page = client.get(_url(world.acme)).content.decode()
    assert "Approve the AI policy" in page and "Northwind review" not in page and "Someone else" not in page
    assert_constant_queries(get_ok(client, _url(world.acme)), lambda: [remind(world.acme, "More", n) for n in range(5)])
