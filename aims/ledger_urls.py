"""HTML routes of the sign-off ledger, under ms/<ms_id>/ledger/."""

from django.urls import path

from aims import ledger_views

app_name = "ledger"
urlpatterns = [
    path("", ledger_views.verify, name="verify"),
    path("verify-now/", ledger_views.verify_now, name="verify_now"),
]
