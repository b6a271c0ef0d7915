"""API of the scope (4.3): ``/api/v1/scope/``.

- ``GET /api/v1/scope/`` lists the scope of each management system the user reads (one each);
  ``POST`` writes a management system's scope the first time; ``PATCH .../<id>/`` changes its parts
  (If-Match); ``GET .../<id>/history/`` its versions.
- ``POST .../<id>/approve/`` approves it (If-Match: the version read; X-OTP: the step-up): the
  inventory's in-scope AI systems are frozen into it, then that version is signed. 400 with the
  blockers when it cannot be approved yet.
- Exclusions: ``POST .../<id>/exclusions/`` adds one, ``PATCH .../<id>/exclusions/<eid>/`` changes one,
  ``POST .../<id>/exclusions/<eid>/remove/`` removes one (If-Match: the scope's version, which each of them changes).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access
from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    RegisterSerializer,
    RegisterViewSet,
    SignedPageMixin,
    SignedStateMixin,
    SignOffRequestSerializer,
    SignOffSerializer,
    TextLimitsMixin,
    etag_response,
    expected_version,
    register_fields,
)
from aims.models import ManagementSystem
from governance.models import Scope, ScopeExclusion
from governance.scope import selectors, services
from governance.scope.signoffs import SCOPE_APPROVAL


class ExclusionSerializer(TextLimitsMixin, serializers.ModelSerializer):
    """What is excluded from the scope, and why."""

    class Meta:
        model = ScopeExclusion
        fields = ["id", *ScopeExclusion.editable_fields]


class ExclusionChangeSerializer(ExclusionSerializer):
    class Meta(ExclusionSerializer.Meta):
        extra_kwargs = {"excluded": {"required": False}}


class SystemRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    name = serializers.CharField()


class SystemsSerializer(serializers.Serializer):
    """The AI systems frozen at the latest approval against the inventory's in-scope systems now."""

    approved = serializers.BooleanField()
    changed_since_approval = serializers.BooleanField()
    frozen = SystemRefSerializer(many=True)
    current = SystemRefSerializer(many=True)
    added = SystemRefSerializer(many=True)
    removed = SystemRefSerializer(many=True)


class ScopeSerializer(SignedStateMixin, RegisterSerializer):
    """The AIMS scope (4.3): its parts, exclusions, the AI systems in scope and its approval."""

    sign_off_kind = SCOPE_APPROVAL
    exclusions = ExclusionSerializer(many=True, read_only=True)
    ai_systems = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, help_text="Taken from the inventory at approval (or by a refresh)."
    )
    systems = serializers.SerializerMethodField(help_text="Frozen at approval against the inventory now.")
    document = serializers.SerializerMethodField(help_text="The identifier of the scope document, if seeded.")

    class Meta:
        model = Scope
        fields = register_fields(
            "title",
            *Scope.editable_fields,
            "ai_systems",
            "exclusions",
            "systems",
            "document",
            "latest_sign_off",
            "signed_version",
            "changed_since_signed",
        )
        read_only_fields = ["title"]

    @extend_schema_field(SystemsSerializer)
    def get_systems(self, scope: Scope) -> dict:
        return SystemsSerializer(selectors.systems_comparison(scope, scope.management_system)).data

    @extend_schema_field({"type": "string", "nullable": True})
    def get_document(self, scope: Scope) -> str | None:
        document = selectors.scope_document(scope.management_system_id)
        return document.identifier if document else None


class ScopeViewSet(SignedPageMixin, RegisterViewSet):
    """The scope of each management system the user reads (4.3), one per management system; approved by
    top management with ``.../approve/``. It is never deleted."""

    serializer_class = ScopeSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    sign_off_kind = SCOPE_APPROVAL
    access_actions = {
        "approve": Action.VIEW,  # who may approve is the sign-off kind's rule
        "exclusions": Action.EDIT,
        "exclusion": Action.EDIT,
        "exclusion_remove": Action.EDIT,
    }

    def get_base_queryset(self) -> QuerySet[Scope]:
        return access.scope(self.request.user, selectors.scope_queryset())

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Scope:
        return services.scope_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Scope, *, user: Any, expected_version: int, reason: str, data: dict) -> Scope:
        return services.scope_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """Approve the scope as the version read (If-Match), stepped up (X-OTP): its AI systems are frozen first."""
        return self.sign_with(request, services.scope_approve)

    @extend_schema(request=ExclusionSerializer, responses={201: ScopeSerializer}, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def exclusions(self, request: Request, pk: Any = None) -> Response:
        """Add an exclusion (If-Match: the scope's version); answers the scope."""
        scope, version, data = self.read_for_change(request, ExclusionSerializer)
        data.pop("id", None)
        services.exclusion_add(scope, user=request.user, expected_version=version, **data)
        return self._respond(scope, status.HTTP_201_CREATED)

    def _exclusion(self, scope: Scope, exclusion_id: Any) -> ScopeExclusion:
        exclusion = next((e for e in scope.exclusions.all() if str(e.pk) == str(exclusion_id)), None)
        if exclusion is None:
            raise NotFound("No such exclusion in this scope.")
        return exclusion

    def _scope_response(self, scope: Scope) -> Response:
        scope = self.get_queryset().get(pk=scope.pk)
        return etag_response(self.get_serializer(scope).data, scope.version)

    @extend_schema(request=ExclusionChangeSerializer, responses=ScopeSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["patch"], url_path=r"exclusions/(?P<exclusion_id>\d+)")
    def exclusion(self, request: Request, pk: Any = None, exclusion_id: Any = None) -> Response:
        """Change an exclusion (If-Match: the scope's version, which it changes); answers the scope."""
        scope = self.get_object()
        exclusion = self._exclusion(scope, exclusion_id)
        _, version, data = self.read_for_change(request, ExclusionChangeSerializer, scope)
        data.pop("id", None)
        services.exclusion_update(exclusion, user=request.user, expected_version=version, **data)
        return self._scope_response(scope)

    @extend_schema(request=None, responses=ScopeSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path=r"exclusions/(?P<exclusion_id>\d+)/remove")
    def exclusion_remove(self, request: Request, pk: Any = None, exclusion_id: Any = None) -> Response:
        """Take an exclusion out of the scope (If-Match: the scope's version); its history stays."""
        scope = self.get_object()
        exclusion = self._exclusion(scope, exclusion_id)
        version = expected_version(request, scope.version)
        services.exclusion_remove(exclusion, user=request.user, expected_version=version)
        return self._scope_response(scope)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("scope", ScopeViewSet, basename="scope")
