"""The login in two steps and the Account page: authenticator, recovery codes, password, API tokens."""

from __future__ import annotations

import textwrap
from typing import Any
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout, user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from aims import mfa, services
from aims.accounts import security_log
from aims.accounts.forms import ApiTokenForm, AuthenticatorRemoveForm, AuthenticatorSetupForm, LoginCodeForm
from aims.accounts.throttling import lockout_response
from aims.forms import add_service_errors
from aims.models import ApiToken, Membership


def _next_url(request: HttpRequest, default: str = "") -> str:
    """Where to go after this step: ``next`` when it is a page of this site, else ``default`` (or home)."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse(settings.LOGIN_REDIRECT_URL)


# --- login -------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """The first step: username and password. A user with an authenticator goes on to the code step."""

    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        auth_login(self.request, user)
        next_url = self.get_success_url()
        if mfa.has_second_factor(user):
            return _redirect_with_next("account:login_code", next_url)
        if mfa.mfa_required(user):
            return _redirect_with_next("account:authenticator_setup", next_url)
        return HttpResponseRedirect(next_url)


def _redirect_with_next(view_name: str, next_url: str) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse(view_name)}?{urlencode({'next': next_url})}")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    """The second step: the authenticator's code (or a recovery code); wrong codes count as failed logins."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified() or not mfa.has_second_factor(user):
        return HttpResponseRedirect(next_url)
    credentials = {"username": user.get_username()}
    request.aims_login_username = user.get_username()
    if AxesProxyHandler.is_locked(request, credentials):
        return _lock_out(request)
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = mfa.code_wait_seconds(user)
        device = mfa.match_code(user, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            security_log.record(security_log.LOGIN_VERIFIED, request=request, user=user, by=mfa.verification_of(device))
            if mfa.verification_of(device) == mfa.RECOVERY_CODE:
                left = mfa.recovery_codes_left(user)
                messages.warning(request, f"You used a recovery code; {left} left. Make new ones on your account page.")
            return HttpResponseRedirect(next_url)
        request.aims_login_stage = "code"
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            return _lock_out(request)
        form.add_error("code", mfa.wrong_code_message(wait))
    return render(
        request, "registration/login_code.html", {"form": form, "next": next_url}, status=400 if form.errors else 200
    )


def _lock_out(request: HttpRequest) -> HttpResponse:
    request.aims_logout_reason = "locked out at the code step"
    logout(request)
    return lockout_response(request)


# --- the Account page --------------------------------------------------------------------


@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """The logged-in user's own account: second factor, password, API tokens."""
    return render(request, "account/account.html", _account_context(request))


def _account_context(request: HttpRequest, **forms: Any) -> dict[str, Any]:
    user = request.user
    tokens = list(ApiToken.objects.filter(user=user).order_by("-created_at")[:50])
    required_by = Membership.objects.filter(user=user, role__in=mfa.required_roles()).select_related(
        "management_system"
    )
    return {
        "authenticator": mfa.authenticator(user),
        "mfa_required": mfa.mfa_required(user),
        "required_by": required_by,
        "recovery_codes_left": mfa.recovery_codes_left(user),
        "tokens": tokens,
        "token_form": forms.get("token_form") or ApiTokenForm(),
        "remove_form": forms.get("remove_form") or AuthenticatorRemoveForm(),
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def authenticator_setup(request: HttpRequest) -> HttpResponse:
    """Set up (or replace) the authenticator: its secret as text and QR code, confirmed by a code it shows."""
    user = request.user
    device = mfa.pending_authenticator(user)
    replacing = mfa.has_second_factor(user)
    form = AuthenticatorSetupForm(request.POST or None, replacing=replacing)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa.confirm_authenticator(
                user, device, form.cleaned_data["code"], current_code=form.cleaned_data.get("current_code", "")
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            otp_login(request, device)
            messages.success(
                request, "Your authenticator is set up. From now on, logging in and signing ask for its code."
            )
            return _show_recovery_codes(request, codes)
    context = {
        "form": form,
        "replacing": replacing,
        "secret": " ".join(textwrap.wrap(mfa.secret_of(device), 4)),  # in fours, easier to type
        "qr_svg": segno.make(device.config_url, error="m").svg_inline(
            scale=4, light="#fff", title="QR code of the authenticator set-up"
        ),
        "next": _next_url(request, reverse("account:home")),
        "mfa_required": mfa.mfa_required(user),
    }
    return render(request, "account/authenticator_setup.html", context, status=400 if form.errors else 200)


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    context = {"codes": codes, "next": _next_url(request, reverse("account:home"))}
    return render(request, "account/recovery_codes.html", context)


@never_cache
@login_required
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Make new recovery codes (the old ones stop working) and show them once."""
    try:
        codes = mfa.new_recovery_codes(request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("account:home")
    return _show_recovery_codes(request, codes)


@login_required
@require_POST
def authenticator_remove(request: HttpRequest) -> HttpResponse:
    """Remove the authenticator and recovery codes, given a current code; refused when the role requires one."""
    form = AuthenticatorRemoveForm(request.POST)
    if form.is_valid():
        try:
            mfa.remove_authenticator(request.user, form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, "Your authenticator and recovery codes are removed. Logging in asks only for your password."
            )
            return redirect("account:home")
    return render(request, "account/account.html", _account_context(request, remove_form=form), status=400)


@method_decorator(never_cache, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Change one's own password (the old one first); the session stays logged in."""

    template_name = "account/password_change.html"
    success_url = reverse_lazy("account:home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_log.record(security_log.PASSWORD_CHANGED, request=self.request, user=self.request.user)
        messages.success(self.request, "Your password is changed.")
        return response


@never_cache
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    """Create an API token of one's own and show it once."""
    form = ApiTokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"], actor=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "account/token_created.html", {"token": token, "raw": raw})
    return render(request, "account/account.html", _account_context(request, token_form=form), status=400)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Revoke one of one's own API tokens (someone else's does not exist here: 404)."""
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    if token.revoked_at is None:
        services.api_token_revoke(token, actor=request.user)
        messages.success(
            request, f"Token {token.prefix}… ({token.name or 'no name'}) is revoked: it stops working now."
        )
    return redirect("account:home")
