"""API of gateway keys and model routes.

- ``/api/v1/gateway-keys/``: list and read keys (never their secret); POST issues one and returns
  its plaintext once, in ``key``; ``POST .../<id>/revoke/`` with If-Match and a reason revokes it
  at once; PATCH renames it (If-Match). Keys are never deleted. Filter with ``?ai_system=<id>``.
- ``/api/v1/model-routes/``: one route per model record (If-Match on change); the credential is
  the NAME of an environment variable, never the credential.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access
from aims.access import Action
from aims.api_common import (
    CHANGE_REASON_HEADER,
    IF_MATCH_HEADER,
    RegisterSerializer,
    RegisterViewSet,
    change_reason,
    etag,
    register_fields,
)
from aims.filters import RecordChoiceFilter, RegisterFilterSet
from aims.models import ManagementSystem
from gateway.keys import selectors, services
from gateway.models import GatewayKey, ModelRoute
from registers.models import AISystem, ModelRecord

# --- serializers -------------------------------------------------------------------------


class GatewayKeySerializer(RegisterSerializer):
    """A gateway key as stored: its prefix, never its secret."""

    management_system = serializers.PrimaryKeyRelatedField(read_only=True)
    expires_in_days = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=1,
        max_value=services.MAX_DAYS,
        help_text=f"How many days the key works (default {services.DEFAULT_DAYS}); on creation only.",
    )
    state = serializers.ChoiceField(choices=["active", "expired", "revoked"], read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = GatewayKey
        fields = register_fields(
            "ai_system", "name", "expires_in_days", "prefix", "state", "expires_at", "revoked_at", "revoked_reason",
            "last_used_at", "created_by",
        )  # fmt: skip
        read_only_fields = ["prefix", "expires_at", "revoked_at", "revoked_reason", "last_used_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["ai_system"] = serializers.PrimaryKeyRelatedField(read_only=True)  # a key never moves
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The key's management system is its AI system's: there is no other row to compare.
        return attrs


class GatewayKeyCreatedSerializer(GatewayKeySerializer):
    """A key just issued: with its plaintext, shown this once."""

    key = serializers.CharField(read_only=True, help_text="The key itself. Shown only in this response: keep it now.")

    class Meta(GatewayKeySerializer.Meta):
        fields = [*GatewayKeySerializer.Meta.fields, "key"]


class RevokeRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why the key stops working (kept in history).")


class ModelRouteSerializer(RegisterSerializer):
    # Seconds as JSON numbers (not decimal strings), bounded as the model bounds them.
    connect_timeout = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=Decimal("0.1"), max_value=Decimal(120), coerce_to_string=False,
        required=False,
    )  # fmt: skip
    read_timeout = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=Decimal("0.1"), max_value=Decimal(600), coerce_to_string=False,
        required=False,
    )  # fmt: skip

    class Meta:
        model = ModelRoute
        fields = register_fields("model_record", *ModelRoute.editable_fields)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["model_record"] = serializers.PrimaryKeyRelatedField(read_only=True)  # one route per record
        return fields


# --- filters -----------------------------------------------------------------------------


class GatewayKeyFilterSet(RegisterFilterSet):
    ai_system = RecordChoiceFilter(AISystem, label="AI system")

    class Meta:
        model = GatewayKey
        fields: list[str] = []


class ModelRouteFilterSet(RegisterFilterSet):
    model_record = RecordChoiceFilter(ModelRecord, label="Model record")

    class Meta:
        model = ModelRoute
        fields: list[str] = []


# --- viewsets ----------------------------------------------------------------------------


class GatewayKeyViewSet(RegisterViewSet):
    """Gateway keys of AI systems: issued (plaintext once), renamed, revoked with a reason; never deleted."""

    serializer_class = GatewayKeySerializer
    filterset_class = GatewayKeyFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering = ("-created_at", "-pk")
    access_actions = {"revoke": Action.EDIT}

    def get_base_queryset(self) -> QuerySet[GatewayKey]:
        return selectors.key_queryset(user=self.request.user)

    def update_object(self, obj: GatewayKey, *, user: Any, expected_version: int, reason: str, data: dict) -> Any:
        name = data.get("name", obj.name)
        return services.key_rename(obj, user=user, expected_version=expected_version, reason=reason, name=name)

    @extend_schema(
        request=GatewayKeySerializer, responses={201: GatewayKeyCreatedSerializer}, parameters=[CHANGE_REASON_HEADER]
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        system = data["ai_system"]
        access.require(request.user, Action.CREATE, system.management_system)
        key, plaintext = services.key_create(
            ai_system=system,
            user=request.user,
            name=data["name"],
            expires_in_days=data.get("expires_in_days", services.DEFAULT_DAYS),
            reason=change_reason(request, "Created through the API"),
        )
        key = self.get_queryset().get(pk=key.pk)
        key.key = plaintext
        response = Response(GatewayKeyCreatedSerializer(key, context=self.get_serializer_context()).data, status=201)
        response["ETag"] = etag(key.version)
        response["Location"] = self.reverse_action("detail", args=[key.pk])
        add_never_cache_headers(response)
        return response

    @extend_schema(request=RevokeRequestSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        return self.change_with(request, services.key_revoke, RevokeRequestSerializer)


class ModelRouteViewSet(RegisterViewSet):
    """Model routes: where the gateway sends a model record's calls; one per record, never a stored credential."""

    serializer_class = ModelRouteSerializer
    filterset_class = ModelRouteFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[ModelRoute]:
        return selectors.route_queryset(user=self.request.user)

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> ModelRoute:
        return services.route_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: ModelRoute, *, user: Any, expected_version: int, reason: str, data: dict) -> Any:
        return services.route_update(obj, user=user, expected_version=expected_version, reason=reason, **data)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("gateway-keys", GatewayKeyViewSet, basename="gateway-key")
    router.register("model-routes", ModelRouteViewSet, basename="model-route")
