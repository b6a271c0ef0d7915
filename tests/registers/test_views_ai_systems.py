"""The AI system register in the browser: history, concurrency, bad input, escaping, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from registers.models import AISystem, ModelRecord
from tests.factories import make_ai_system, make_record
from tests.kit import assert_constant_queries, get_ok

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


def form_data(system: AISystem | None = None, **changes) -> dict:
    data = {
        "name": "Chat summariser",
        "purpose": "Summarises chats for the service desk.",
        "lifecycle_stage": "design",
        "in_scope": "on",
        "roles-TOTAL_FORMS": "1",
        "roles-INITIAL_FORMS": "0",
        "roles-0-role": "deployer",
        "roles-0-basis": "Used by our service desk.",
        "eu_ai_act_risk_class": "limited",
        "human_oversight": "on_the_loop",
    }
    if system is not None:
        data.update(name=system.name, purpose=system.purpose, version=system.version)
    data.update(changes)
    return data


def edit_url(system: AISystem) -> str:
    return reverse("registers:ai_system_edit", args=[system.management_system_id, system.pk])


def history_url(system: AISystem) -> str:
    return reverse("registers:ai_system_history", args=[system.management_system_id, system.pk])


def detail_url(system: AISystem) -> str:
    return reverse("registers:ai_system_detail", args=[system.management_system_id, system.pk])


def list_url(ms) -> str:
    return reverse("registers:ai_system_list", args=[ms.pk])


# --- history -------------------------------------------------------------------------------


def test_edit_in_browser_records_user_and_reason_in_history(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)

    response = client_as("officer").post(
        edit_url(system), form_data(system, lifecycle_stage="operation", change_reason="Went live")
    )

    assert response.status_code == 302
    latest = system.history.order_by("-history_id").first()
    assert latest.history_user == world.officer
    assert latest.history_change_reason == "Went live"
    assert latest.lifecycle_stage == "operation"
    page = client_as("auditor").get(history_url(system)).content.decode()
    assert "Went live" in page and "officer" in page
    assert "Operation and monitoring" in page and "Concept" in page


def test_edit_without_reason_records_default_reason(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    client_as("officer").post(edit_url(system), form_data(system, name="Renamed"))
    assert system.history.order_by("-history_id").first().history_change_reason == "Updated via the web"


def test_create_in_browser_records_creator_and_redirects_to_detail(world, client_as):
    response = client_as("officer").post(
        reverse("registers:ai_system_create", args=[world.acme.pk]), form_data(owner=world.contributor.pk)
    )

    system = AISystem.objects.get(name="Chat summariser")
    assert response["Location"] == detail_url(system)
    assert system.reference == "AIS-001" and system.management_system == world.acme
    assert system.history.get().history_user == world.officer
    # The owner may now edit what they own.
    assert client_as("contributor").get(edit_url(system)).status_code == 200


# --- concurrency -----------------------------------------------------------------------------


def test_second_edit_from_same_version_is_refused_and_first_kept(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    first = client_as("officer").post(edit_url(system), form_data(system, name="First edit"))
    assert first.status_code == 302

    second = client_as("owner").post(edit_url(system), form_data(system, name="Second edit"))

    assert second.status_code == 409
    page = second.content.decode()
    assert "changed by someone else" in page
    assert 'value="Second edit"' in page  # the user's input is kept
    system.refresh_from_db()
    assert system.name == "First edit" and system.version == 2
    assert system.history.count() == 2


def test_delete_of_a_stale_version_is_refused(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    client_as("officer").post(edit_url(system), form_data(system, name="Changed"))

    response = client_as("owner").post(
        reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk]), {"version": 1}
    )

    assert response.status_code == 409
    assert AISystem.objects.filter(pk=system.pk).exists()


def test_delete_keeps_history_with_who_and_why(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    url = reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk])
    assert client_as("officer").get(url).status_code == 200

    response = client_as("officer").post(url, {"version": 1, "change_reason": "Duplicate entry"})

    assert response["Location"] == list_url(world.acme)
    assert not AISystem.objects.filter(pk=system.pk).exists()
    deleted = AISystem.history.filter(id=system.pk).order_by("-history_id").first()
    assert deleted.history_type == "-" and deleted.history_user == world.officer
    assert deleted.history_change_reason == "Duplicate entry"


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"purpose": ""}, "purpose", "This field is required."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"lifecycle_stage": "sunset"}, "lifecycle_stage", "Select a valid choice"),
        ({"eu_ai_act_risk_class": "extreme"}, "eu_ai_act_risk_class", "Select a valid choice"),
    ],
)
def test_bad_input_on_create_shows_error_and_saves_nothing(world, client_as, changes, field, message):
    response = client_as("officer").post(
        reverse("registers:ai_system_create", args=[world.acme.pk]), form_data(**changes)
    )

    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert f'id="id_{field}_errors"' in response.content.decode()
    assert AISystem.objects.count() == 0


def test_owner_who_is_not_a_member_is_refused(world, client_as):
    response = client_as("officer").post(
        reverse("registers:ai_system_create", args=[world.acme.pk]), form_data(owner=world.outsider.pk)
    )

    assert "owner" in response.context["form"].errors
    assert AISystem.objects.count() == 0


def test_expired_auditor_cannot_be_made_owner(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    response = client_as("officer").post(edit_url(system), form_data(system, owner=world.expired_auditor.pk))

    assert "owner" in response.context["form"].errors
    system.refresh_from_db()
    assert system.owner is None and system.version == 1


def test_foreign_model_record_cannot_be_linked(world, client_as):
    foreign = make_record(ModelRecord, world.northwind, user=world.outsider, name="Northwind model")
    system = make_ai_system(world.acme, user=world.owner)

    response = client_as("officer").post(edit_url(system), form_data(system, model_records=[foreign.pk]))

    assert "model_records" in response.context["form"].errors
    system.refresh_from_db()
    assert system.version == 1 and not system.model_records.exists()


def test_form_offers_only_members_and_own_records(world, client_as):
    make_record(ModelRecord, world.northwind, user=world.outsider, name="Northwind model")
    own = make_record(ModelRecord, world.acme, user=world.officer, name="Acme model")

    form = client_as("officer").get(reverse("registers:ai_system_create", args=[world.acme.pk])).context["form"]

    owners = {user.username for user in form.fields["owner"].queryset}
    assert owners == {"owner", "officer", "contributor"}  # never leadership, an auditor or an expired member
    assert list(form.fields["model_records"].queryset) == [own]


def test_long_change_reason_is_refused(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    response = client_as("officer").post(edit_url(system), form_data(system, change_reason="r" * 101))
    assert "change_reason" in response.context["form"].errors
    system.refresh_from_db()
    assert system.version == 1


# --- escaping --------------------------------------------------------------------------------


def test_script_in_a_name_is_shown_as_text_everywhere(world, client_as):
    system = make_ai_system(world.acme, user=world.owner, name=SCRIPT, purpose=SCRIPT)
    client_as("officer").post(edit_url(system), form_data(system, notes=SCRIPT, change_reason=SCRIPT))
    client = client_as("officer")

    for url in (list_url(world.acme), detail_url(system), history_url(system), edit_url(system)):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
        assert SCRIPT not in page, url


# --- list: filters, pagination, controls, query counts --------------------------------------------


def test_list_filters_and_keeps_filter_values(world, client_as):
    make_ai_system(
        world.acme, user=world.owner, name="Radiology triage", lifecycle_stage="operation", eu_ai_act_risk_class="high"
    )
    make_ai_system(world.acme, user=world.owner, name="FAQ bot", lifecycle_stage="operation", in_scope=False)
    make_ai_system(world.acme, user=world.owner, name="Rota planner", owner=world.contributor)
    client = client_as("auditor")

    def names(**params):
        response = client.get(list_url(world.acme), params)
        return response, [s.name for s in response.context["page_obj"]]

    assert names(q="radiology")[1] == ["Radiology triage"]
    assert names(lifecycle_stage="operation", in_scope="false")[1] == ["FAQ bot"]
    assert names(eu_ai_act_risk_class="high")[1] == ["Radiology triage"]
    response, found = names(owner=world.contributor.pk)
    assert found == ["Rota planner"]
    assert f'<option value="{world.contributor.pk}" selected>' in response.content.decode()


def test_list_paginates_by_25(world, client_as):
    for n in range(27):
        make_ai_system(world.acme, user=world.owner, name=f"System {n:02d}")
    client = client_as("officer")

    first = client.get(list_url(world.acme), {"q": "System"})
    second = client.get(list_url(world.acme), {"q": "System", "page": 2})

    assert len(first.context["page_obj"]) == 25 and len(second.context["page_obj"]) == 2
    assert "?q=System&amp;page=2" in first.content.decode()


def test_list_query_count_does_not_grow_with_rows(world, client_as):
    for n in range(2):
        make_ai_system(world.acme, user=world.owner, name=f"System {n}", owner=world.officer)
    listing = get_ok(client_as("officer"), list_url(world.acme))

    def add_systems():
        for n in range(2, 40):
            make_ai_system(
                world.acme, user=world.owner, name=f"System {n}", owner=world.contributor if n % 2 else world.owner
            )

    assert_constant_queries(listing, add_systems)


def test_detail_query_count_does_not_grow_with_links(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    one = make_record(ModelRecord, world.acme, user=world.owner, name="Model 0")
    client_as("officer").post(edit_url(system), form_data(system, model_records=[one.pk]))
    models_tab = get_ok(client_as("officer"), detail_url(system), {"tab": "models"})

    def link_more_models():
        models = [make_record(ModelRecord, world.acme, user=world.owner, name=f"Model {n}") for n in range(1, 12)]
        system.refresh_from_db()
        client_as("officer").post(edit_url(system), form_data(system, model_records=[one.pk, *(m.pk for m in models)]))

    assert_constant_queries(models_tab, link_more_models)
    assert system.model_records.count() == 12


@pytest.mark.parametrize("persona", ["auditor", "leader", "contributor"])
def test_readers_see_no_write_controls(world, client_as, persona):
    system = make_ai_system(world.acme, user=world.owner, name="Someone else's")
    client = client_as(persona)

    listing = client.get(list_url(world.acme)).content.decode()
    detail = client.get(detail_url(system)).content.decode()

    assert reverse("registers:ai_system_create", args=[world.acme.pk]) not in listing
    assert edit_url(system) not in detail
    assert reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk]) not in detail


def test_contributor_sees_edit_but_not_delete_on_the_system_they_own(world, client_as):
    system = make_ai_system(world.acme, user=world.owner, owner=world.contributor)
    detail = client_as("contributor").get(detail_url(system)).content.decode()
    assert edit_url(system) in detail
    assert reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk]) not in detail


def test_officer_sees_all_controls(world, client_as):
    system = make_ai_system(world.acme, user=world.owner)
    client = client_as("officer")
    assert (
        reverse("registers:ai_system_create", args=[world.acme.pk]) in client.get(list_url(world.acme)).content.decode()
    )
    detail = client.get(detail_url(system)).content.decode()
    assert edit_url(system) in detail
    assert reverse("registers:ai_system_delete", args=[world.acme.pk, system.pk]) in detail


def test_record_of_another_management_system_is_404_under_this_one(world, client_as):
    foreign = make_ai_system(world.northwind, user=world.outsider)
    # Same user, right role, wrong management system in the URL.
    response = client_as("outsider").get(reverse("registers:ai_system_detail", args=[world.acme.pk, foreign.pk]))
    assert response.status_code == 404


def test_tabs_show_linked_records(world, client_as):
    model = make_record(ModelRecord, world.acme, user=world.owner, name="Triage classifier")
    system = make_ai_system(world.acme, user=world.owner)
    client_as("officer").post(edit_url(system), form_data(system, model_records=[model.pk]))

    page = client_as("auditor").get(detail_url(system), {"tab": "models"}).content.decode()

    assert "Triage classifier" in page
    assert reverse("registers:record_detail", args=[world.acme.pk, "model-records", model.pk]) in page
