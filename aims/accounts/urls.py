"""Routes of the login's second step and the Account page."""

from django.urls import path

from aims.accounts import views

app_name = "account"
urlpatterns = [
    path("login/code/", views.login_code, name="login_code"),
    path("account/", views.account, name="home"),
    path("account/authenticator/", views.authenticator_setup, name="authenticator_setup"),
    path("account/authenticator/remove/", views.authenticator_remove, name="authenticator_remove"),
    path("account/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/", views.token_create, name="token_create"),
    path("account/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
