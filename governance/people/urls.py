"""HTML routes of the people family (under ms/<ms_id>/governance/): each register's list, detail, history,
form and retire page, ending an assignment, the competence gaps and the responsibility matrix."""

from django.urls import URLPattern, path

from governance.people import views
from governance.people.registers import REGISTERS, Register


def _routes(register: Register) -> list[URLPattern]:
    name, stem, kind = register.name, register.path, {"register": register.name}
    routes = [
        path(f"{stem}/", views.register_list, kind, name=f"{name}_list"),
        path(f"{stem}/new/", views.register_create, kind, name=f"{name}_create"),
        path(f"{stem}/<int:pk>/", views.register_detail, kind, name=f"{name}_detail"),
        path(f"{stem}/<int:pk>/history/", views.register_history, kind, name=f"{name}_history"),
        path(f"{stem}/<int:pk>/edit/", views.register_edit, kind, name=f"{name}_edit"),
    ]
    if register.retire is not None:  # an assignment is ended, not retired
        routes.append(path(f"{stem}/<int:pk>/retire/", views.register_retire, kind, name=f"{name}_retire"))
    return routes


urlpatterns = [
    *(route for register in REGISTERS.values() for route in _routes(register)),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("competence-gaps/", views.competence_gaps, name="competence_gaps"),
    path("responsibility-matrix/", views.responsibility_matrix, name="responsibility_matrix"),
]
