"""Admin for superusers: every model with its history, every write through the services.

Admin saves call the same services as the browser and the API, so an admin edit is one
version with the superuser as its author, a reason, a version check and the access
groups kept in step. A service's refusal (stale version, last owner, a link to another
management system) comes back as an error message, with nothing saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from aims import services
from aims.limits import TextLimitsFormMixin
from aims.models import ApiToken, Invitation, ManagementSystem, Membership, RegisterModel, RetirableModel, SignOff

ADMIN_REASON = "Edited in admin"


class ServiceErrorsAsMessages:
    """Show a service's ValidationError or StaleVersionError as a message instead of a server error."""

    def changeform_view(self, request: HttpRequest, object_id=None, form_url="", extra_context=None) -> HttpResponse:
        return self._refusals_as_messages(request, super().changeform_view, request, object_id, form_url, extra_context)

    def delete_view(self, request: HttpRequest, object_id, extra_context=None) -> HttpResponse:
        return self._refusals_as_messages(request, super().delete_view, request, object_id, extra_context)

    def response_action(self, request: HttpRequest, queryset) -> HttpResponse | None:
        return self._refusals_as_messages(request, super().response_action, request, queryset)

    def _refusals_as_messages(self, request: HttpRequest, view, *args) -> HttpResponse:
        try:
            with transaction.atomic():
                return view(*args)
        except (ValidationError, services.StaleVersionError) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, f"Nothing was saved: {text}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class HistoryAdmin(SimpleHistoryAdmin):
    """Every version of a record, shown; never saved back from here.

    simple-history's "revert" form saves a past version with ``Model.save()``: no service,
    no version check, no reason, and any field editable (even a read-only model's). The
    setting ``SIMPLE_HISTORY_REVERT_DISABLED`` only hides its button, so the form itself
    refuses every write. A correction is an ordinary change, made through the services.
    """

    def revert_disabled(self, request: HttpRequest, obj=None) -> bool:
        return True

    def history_form_view(self, request: HttpRequest, object_id, version_id, extra_context=None) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"], "Past versions are shown here, never saved back.")
        return super().history_form_view(request, object_id, version_id, extra_context)


class VersionedAdminForm(TextLimitsFormMixin, forms.ModelForm):
    """Carry the version the superuser opened, so a stale save is refused; free text has the shared limit."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version


def _form_values(form: forms.ModelForm, model: type[models.Model]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a valid admin form's data into plain fields and many-to-many links."""
    model_fields = {f.name: f for f in model._meta.get_fields()}
    fields, m2m = {}, {}
    for name, value in form.cleaned_data.items():
        if name in model_fields:  # form-only fields such as expected_version are not written
            (m2m if model_fields[name].many_to_many else fields)[name] = value
    return fields, m2m


def _reason(form: forms.ModelForm) -> str:
    changed = [name for name in form.changed_data if name != "expected_version"]
    return f"{ADMIN_REASON}: {', '.join(changed)}" if changed else ADMIN_REASON


def _adopt(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's instance the saved row, so redirects and log entries use it."""
    obj.pk = saved.pk
    obj.refresh_from_db()
    obj._state.adding = False


class AdminRetireForm(forms.Form):
    reason = forms.CharField(max_length=280, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))


class RegisterAdmin(ServiceErrorsAsMessages, HistoryAdmin):
    """Admin for a register model; subclasses override the *_record hooks to use their own services.

    A record something refers to cannot be deleted (the service refuses, the admin shows why);
    the "Retire or withdraw" action closes it with a reason instead.
    """

    form = VersionedAdminForm
    actions = ["retire_selected"]
    list_display = ("reference", "__str__", "management_system", "version", "updated_at")
    list_filter = ("management_system",)
    search_fields = ("reference", "name")
    list_select_related = ("management_system",)
    history_list_display = ("version",)

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple[str, ...]:
        base = ("reference", "version", "created_at", "updated_at")
        return (*base, "management_system") if obj else base

    def save_model(self, request: HttpRequest, obj: RegisterModel, form: forms.ModelForm, change: bool) -> None:
        fields, m2m = _form_values(form, self.model)
        if change:
            version = form.cleaned_data.get("expected_version")
            saved = self.update_record(
                obj, user=request.user, expected_version=version, reason=_reason(form), m2m=m2m, fields=fields
            )
        else:
            ms = fields.pop("management_system")
            saved = self.create_record(
                management_system=ms, user=request.user, reason="Created in admin", m2m=m2m, fields=fields
            )
        _adopt(obj, saved)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets, change: bool) -> None:
        # Links were saved by the service, in the same version as the fields.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: RegisterModel) -> None:
        self.delete_record(obj, user=request.user, reason="Deleted in admin")

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not issubclass(self.model, RetirableModel):
            actions.pop("retire_selected", None)
        return actions

    @admin.action(description="Retire or withdraw the selected records (with a reason)")
    def retire_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """Ask for the reason, then retire each selected record through its service."""
        form = AdminRetireForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for obj in queryset:
                self.retire_record(obj, user=request.user, reason=form.cleaned_data["reason"])
            self.message_user(request, f"{queryset.count()} record(s) retired. They stay readable with their history.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Retire or withdraw",
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/aims/retire_selected.html", context)

    def create_record(
        self, *, management_system: ManagementSystem, user, reason: str, m2m: dict, fields: dict
    ) -> RegisterModel:
        return services.register_create(
            self.model, management_system=management_system, user=user, reason=reason, m2m=m2m, **fields
        )

    def update_record(
        self, obj: RegisterModel, *, user, expected_version: int | None, reason: str, m2m: dict, fields: dict
    ) -> RegisterModel:
        return services.register_update(
            obj, user=user, expected_version=expected_version, reason=reason, m2m=m2m, **fields
        )

    def delete_record(self, obj: RegisterModel, *, user, reason: str) -> None:
        services.register_delete(obj, user=user, expected_version=None, reason=reason)

    def retire_record(self, obj: RegisterModel, *, user, reason: str) -> RegisterModel:
        return services.register_retire(obj, user=user, expected_version=None, reason=f"{reason} (in admin)")


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown to superusers, never written from the admin (append-only or service-managed rows)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, HistoryAdmin):
    pass


def register_remaining(app_label: str) -> None:
    """Register every model of an app that has no admin yet, read-only (with history when tracked)."""
    for model in apps.get_app_config(app_label).get_models():
        if admin.site.is_registered(model) or hasattr(model, "instance_type"):
            continue  # historical models carry instance_type: they are shown through their record
        tracked = hasattr(model._meta, "simple_history_manager_attribute")
        admin.site.register(model, ReadOnlyHistoryAdmin if tracked else ReadOnlyAdmin)


class ManagementSystemForm(VersionedAdminForm):
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        help_text="First owner of a new management system (you, if empty).",
    )

    class Meta:
        model = ManagementSystem
        fields = ("organisation", "name", "scope_statement", "status")


@admin.register(ManagementSystem)
class ManagementSystemAdmin(ServiceErrorsAsMessages, HistoryAdmin):
    form = ManagementSystemForm
    list_display = ("name", "organisation", "status", "version", "updated_at")
    list_filter = ("status",)
    search_fields = ("name", "organisation", "scope_statement")
    readonly_fields = ("version", "created_at", "updated_at")
    history_list_display = ("version",)

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        fields = ["organisation", "name", "scope_statement", "status", "expected_version"]
        return fields + (list(self.readonly_fields) if obj else ["owner"])

    def save_model(self, request: HttpRequest, obj: ManagementSystem, form: ManagementSystemForm, change: bool) -> None:
        data = form.cleaned_data
        values = {name: data[name] for name in ("organisation", "name", "scope_statement")}
        if change:
            saved = services.management_system_update(
                obj,
                user=request.user,
                expected_version=data.get("expected_version"),
                reason=_reason(form),
                status=data["status"],
                **values,
            )
        else:
            saved = services.management_system_create(
                user=request.user, owner=data.get("owner") or request.user, **values
            )
            if data["status"] != saved.status:
                saved = services.management_system_update(
                    saved,
                    user=request.user,
                    expected_version=saved.version,
                    reason="Status set in admin",
                    status=data["status"],
                )
        _adopt(obj, saved)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # its registers and history must outlive any admin click


@admin.register(Membership)
class MembershipAdmin(ServiceErrorsAsMessages, HistoryAdmin):
    list_display = ("user", "management_system", "role", "expires_at", "granted_by", "granted_at")
    list_filter = ("role", "management_system")
    search_fields = ("user__username", "user__email", "management_system__name")
    list_select_related = ("user", "management_system", "granted_by")
    autocomplete_fields = ("user",)
    history_list_display = ("role", "expires_at")

    def get_fields(self, request: HttpRequest, obj=None) -> tuple[str, ...]:
        return (
            ("user", "management_system", "role", "expires_at", "granted_by", "granted_at")
            if obj
            else ("user", "management_system", "role", "expires_at")
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> tuple[str, ...]:
        return ("user", "management_system", "granted_by", "granted_at") if obj else ()

    def save_model(self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if change:
            saved = services.membership_update(
                obj, actor=request.user, role=data["role"], expires_at=data["expires_at"]
            )
        else:
            saved = services.membership_add(
                management_system=data["management_system"],
                actor=request.user,
                user=data["user"],
                role=data["role"],
                expires_at=data["expires_at"],
            )
        _adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.membership_remove(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        for membership in queryset.select_related("user", "management_system"):
            services.membership_remove(membership, actor=request.user)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not issubclass(self.model, RetirableModel):
            actions.pop("retire_selected", None)
        return actions

    @admin.action(description="Retire or withdraw the selected records (with a reason)")
    def retire_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """Ask for the reason, then retire each selected record through its service."""
        form = AdminRetireForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            for obj in queryset:
                self.retire_record(obj, user=request.user, reason=form.cleaned_data["reason"])
            self.message_user(request, f"{queryset.count()} record(s) retired. They stay readable with their history.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Retire or withdraw",
            "opts": self.model._meta,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/aims/retire_selected.html", context)


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceErrorsAsMessages, admin.ModelAdmin):
    """Tokens are made by `manage.py create_api_token`; here they are listed and revoked, never shown."""

    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("prefix", "name", "user__username")
    list_select_related = ("user",)
    fields = ("prefix", "name", "user", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoke instead: the row records when the token stopped working

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            services.api_token_revoke(token, actor=request.user)
        self.message_user(request, f"Revoked {len(tokens)} token(s).", messages.SUCCESS)


@admin.register(SignOff)
class SignOffAdmin(ReadOnlyAdmin):
    """Sign-offs are append-only: listed and inspected here, never added, changed or deleted."""

    list_display = ("management_system", "sequence", "kind", "signer", "signer_role", "signed_at", "short_digest")
    list_filter = ("management_system", "kind")
    list_select_related = ("management_system", "signer")
    search_fields = ("digest", "statement", "signer__username")
    ordering = ("management_system", "sequence")

    @admin.display(description="digest")
    def short_digest(self, obj: SignOff) -> str:
        return f"{obj.digest[:16]}…"


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyHistoryAdmin):
    """Invitations are made, answered and withdrawn on the members page; here they are only listed."""

    list_display = ("email", "management_system", "role", "state", "invited_by", "created_at", "expires_at")
    list_filter = ("management_system", "role")
    list_select_related = ("management_system", "invited_by")
    search_fields = ("email",)
    exclude = ("token_hash",)


register_remaining("aims")
