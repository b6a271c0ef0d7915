"""API of the gateway's event log (read-only: events are written by the gateway alone).

- ``GET /api/v1/gateway-events/``: events of the management systems the user reads, newest first,
  filtered like the event log page (``ai_system``, ``type``, ``occurred_after``,
  ``occurred_before``, ``decision``, ``key``, ``management_system``). Digests only: the bodies
  are not in the API.
- ``POST /api/v1/gateway-events/verify/`` with ``{"management_system": <id>}``: recompute every
  digest and link of that management system's chains; the answer names the first broken event.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access
from aims.access import Action
from aims.api_common import (
    MANAGEMENT_SYSTEM_QUERY,
    AccessPermission,
    ManagementSystemField,
    filter_by_management_system,
    validated,
)
from aims.api_pagination import Pagination
from gateway.events import selectors
from gateway.events.filters import GatewayEventFilterSet
from gateway.models import GatewayEvent


class GatewayEventSerializer(serializers.ModelSerializer):
    """One event of an AI system's chain, as written (digests, never bodies or personal data)."""

    entity_counts = serializers.DictField(
        child=serializers.IntegerField(min_value=0), read_only=True, help_text="Personal data found: {type: count}."
    )
    approver_username = serializers.CharField(source="approver.username", read_only=True, default=None)

    class Meta:
        model = GatewayEvent
        fields = [
            "id", "management_system", "ai_system", "sequence", "occurred_at", "type", "refers_to_sequence",
            "key_id", "model_requested", "model_served", "decision", "policy_version", "entity_counts", "approver",
            "approver_username", "latency_ms", "tokens_in", "tokens_out", "tool", "connector", "subject", "detail",
            "request_sha256", "response_sha256", "previous_digest", "digest",
        ]  # fmt: skip
        read_only_fields = fields


class GatewayVerifySerializer(serializers.Serializer):
    management_system = ManagementSystemField(action=Action.VIEW, help_text="The management system to verify.")


class GatewayBrokenEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True, help_text="The event's id (null if the row is missing).")
    ai_system = serializers.IntegerField()
    sequence = serializers.IntegerField()
    reason = serializers.CharField(help_text="digest mismatch, chain link mismatch or sequence gap.")


class GatewayVerificationSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    events = serializers.IntegerField(help_text="Events checked (up to the first broken one).")
    chains = serializers.IntegerField(help_text="Chains (AI systems) checked.")
    message = serializers.CharField()
    first_broken = GatewayBrokenEventSerializer(allow_null=True)


class GatewayEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Events of the gateway's ledger, newest first; verify a management system's chains."""

    serializer_class = GatewayEventSerializer
    permission_classes = [AccessPermission]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = GatewayEventFilterSet
    access_actions = {"verify": Action.VIEW}

    def get_queryset(self) -> QuerySet[GatewayEvent]:
        queryset = access.scope(self.request.user, GatewayEvent.objects.select_related("management_system", "approver"))
        if self.action == "list":
            queryset = filter_by_management_system(queryset, self.request)
        return queryset.order_by(*selectors.NEWEST_FIRST)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Filters narrow the list only: an event's own URL finds it whatever the query string says.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(parameters=[MANAGEMENT_SYSTEM_QUERY])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=GatewayVerifySerializer,
        responses={200: GatewayVerificationSerializer},
        filters=False,
        description="Recompute every digest and link of a management system's event chains (any member may).",
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def verify(self, request: Request) -> Response:
        data = validated(request, GatewayVerifySerializer, context=self.get_serializer_context())
        result = selectors.verification(data["management_system"])
        return Response(GatewayVerificationSerializer(_verification_data(result)).data)


def _verification_data(result: selectors.Verification) -> dict[str, Any]:
    broken = None
    if not result.ok:
        event = result.broken
        broken = {
            "id": event.pk if event else None,
            "ai_system": event.ai_system_id if event else result.broken_ai_system,
            "sequence": event.sequence if event else result.broken_sequence,
            "reason": result.reason,
        }
    return {
        "ok": result.ok, "events": result.events, "chains": result.chains, "message": result.message,
        "first_broken": broken,
    }  # fmt: skip


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("gateway-events", GatewayEventViewSet, basename="gateway-event")
