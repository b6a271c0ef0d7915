"""API of gateway actions and connectors.

- ``/api/v1/gateway-actions/``: read the actions the AI systems proposed (filter ``?ai_system=<id>``,
  ``?state=pending``); ``POST .../<id>/approve/`` and ``POST .../<id>/deny/`` with
  ``{"comment": "..."}`` decide a pending one, as a member holding the role the policy named
  (403 otherwise; 409 when it no longer waits; a denial needs a comment). Actions are created by
  the AI systems at ``/gateway/v1/actions`` only.
- ``/api/v1/gateway-connectors/``: the connectors (If-Match on change; retired, never deleted);
  the credential is the NAME of an environment variable, never the credential.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims.access import Action
from aims.api_common import (
    AccessPermission,
    HistoryMixin,
    RegisterSerializer,
    RegisterViewSet,
    RetireMixin,
    etag_response,
    filter_by_management_system,
    register_fields,
    validated,
)
from aims.api_errors import Conflict
from aims.api_pagination import Pagination
from aims.filters import RecordChoiceFilter, RegisterFilterSet, StatusFilter
from aims.models import ManagementSystem
from gateway.actions import selectors, services
from gateway.models import Connector, GatewayAction
from registers.models import AISystem

# --- serializers -------------------------------------------------------------------------


class GatewayActionSerializer(serializers.ModelSerializer):
    """An action an AI system proposed, the decisions on it and its outcome."""

    state = serializers.ChoiceField(
        choices=GatewayAction.State.choices, source="effective_state", read_only=True,
        help_text="As it stands now: a pending action or unused approval past its deadline has expired.",
    )  # fmt: skip
    connector_name = serializers.CharField(source="connector.name", read_only=True)
    approver = serializers.CharField(source="approver.username", read_only=True, allow_null=True, default=None)
    key = serializers.CharField(source="key.reference", read_only=True, allow_null=True, default=None)

    class Meta:
        model = GatewayAction
        fields = [
            "id", "reference", "management_system", "ai_system", "key", "tool", "connector", "connector_name",
            "arguments", "arguments_sha256", "entity_counts", "state", "decision", "policy_version", "policy_rule",
            "approver_role", "approver", "comment", "decided_at", "expires_at", "used_at", "result", "error",
            "latency_ms", "proposed_sequence", "decided_sequence", "outcome_sequence", "version", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class DecisionRequestSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=services.COMMENT_MAX, required=False, allow_blank=True,
        help_text="Why: kept with the decision and in the gateway's log. Needed to deny.",
    )  # fmt: skip


class ConnectorSerializer(RegisterSerializer):
    timeout = serializers.DecimalField(
        max_digits=5, decimal_places=1, min_value=Decimal("0.1"), max_value=Decimal(120), coerce_to_string=False,
        required=False,
    )  # fmt: skip
    allowed_tools = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=100, required=False,
        help_text="The tools the connector performs; any other is refused.",
    )  # fmt: skip

    class Meta:
        model = Connector
        fields = register_fields(*Connector.editable_fields)


# --- filters -----------------------------------------------------------------------------


class GatewayActionFilterSet(RegisterFilterSet):
    ai_system = RecordChoiceFilter(AISystem, label="AI system")
    state = django_filters.ChoiceFilter(choices=GatewayAction.State.choices, label="State (as stored)")

    class Meta:
        model = GatewayAction
        fields: list[str] = []


class ConnectorFilterSet(RegisterFilterSet):
    status = StatusFilter()

    class Meta:
        model = Connector
        fields: list[str] = []


# --- viewsets ----------------------------------------------------------------------------


class GatewayActionViewSet(HistoryMixin, viewsets.ReadOnlyModelViewSet):
    """Actions the AI systems proposed through the gateway; approve or deny a pending one."""

    serializer_class = GatewayActionSerializer
    permission_classes = [AccessPermission]
    pagination_class = Pagination
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = GatewayActionFilterSet
    access_actions = {"approve": Action.VIEW, "deny": Action.VIEW}  # the service checks the approver's role

    def get_queryset(self) -> QuerySet[GatewayAction]:
        queryset = selectors.action_queryset(user=self.request.user)
        if self.action == "list":
            queryset = filter_by_management_system(queryset, self.request)
        return queryset.order_by("-created_at", "-pk")

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        return etag_response(self.get_serializer(obj).data, obj.version)

    def _decide(self, request: Request, decide: Any) -> Response:
        obj = self.get_object()
        data = validated(request, DecisionRequestSerializer)
        try:
            done = decide(obj, user=request.user, comment=data.get("comment", ""))
        except services.ActionNotPending as refused:
            raise Conflict(" ".join(refused.messages)) from None
        return etag_response(self.get_serializer(self.get_queryset().get(pk=done.pk)).data, done.version)

    @extend_schema(request=DecisionRequestSerializer, responses=GatewayActionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, services.action_approve)

    @extend_schema(request=DecisionRequestSerializer, responses=GatewayActionSerializer)
    @action(detail=True, methods=["post"])
    def deny(self, request: Request, pk: Any = None) -> Response:
        return self._decide(request, services.action_deny)


class ConnectorViewSet(RetireMixin, RegisterViewSet):
    """Connectors: internal endpoints the AI systems act through; retired, never deleted."""

    serializer_class = ConnectorSerializer
    filterset_class = ConnectorFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering = ("name", "pk")

    def get_base_queryset(self) -> QuerySet[Connector]:
        return selectors.connector_queryset(user=self.request.user)

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Connector:
        return services.connector_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Connector, *, user: Any, expected_version: int, reason: str, data: dict) -> Any:
        return services.connector_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: Connector, *, user: Any, expected_version: int, reason: str) -> Any:
        return services.connector_retire(obj, user=user, expected_version=expected_version, reason=reason)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("gateway-actions", GatewayActionViewSet, basename="gateway-action")
    router.register("gateway-connectors", ConnectorViewSet, basename="gateway-connector")
