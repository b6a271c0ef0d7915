"""The navigation on the "Reviews & readiness" pages: on My work only its own link is current, elsewhere the menu."""

from __future__ import annotations

from django.urls import reverse

MENU = "Reviews &amp; readiness</summary>"


def test_my_work_marks_its_own_link_current_and_the_menu_its_other_pages(world, client_as):
    client = client_as("officer")
    my_work = reverse("reviews:my_work", args=[world.acme.pk])
    page = client.get(my_work).content.decode()
    assert f'<a href="{my_work}" aria-current="page">My work</a>' in page
    assert f"<summary>{MENU}" in page and f'<summary aria-current="page">{MENU}' not in page
    for name in ("reviews:readiness", "reviews:review_list", "reviews:reminders"):
        response = client.get(reverse(name, args=[world.acme.pk]))
        assert response.status_code == 200, name
        page = response.content.decode()
        assert f'<summary aria-current="page">{MENU}' in page, name
        assert f'<a href="{my_work}" aria-current="page">' not in page, name
