"""HTML routes of the management system itself."""

from django.urls import path

from aims import views

app_name = "aims"
urlpatterns = [
    path("", views.home, name="home"),
    path("switch/", views.switch, name="switch"),
    path("new/", views.ms_create, name="ms_create"),
    path("invitations/<int:invitation_id>/answer/", views.invitation_respond, name="invitation_respond"),
    path("invitations/<str:token>/", views.invitation_open, name="invitation_open"),
    path("about/", views.about, name="about"),
    path("about/signing-key.pem", views.signing_key, name="signing_key"),
    path("ms/<int:ms_id>/", views.ms_home, name="ms_home"),
    path("ms/<int:ms_id>/settings/", views.ms_edit, name="ms_edit"),
    path("ms/<int:ms_id>/members/", views.members, name="members"),
    path("ms/<int:ms_id>/members/<int:membership_id>/", views.member_change, name="member_change"),
    path("ms/<int:ms_id>/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "ms/<int:ms_id>/invitations/<int:invitation_id>/withdraw/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
]
