"""API of objectives, metrics and measurements.

- ``/api/v1/objectives/``, ``/api/v1/metrics/``: registers (history, If-Match, filters; withdraw or
  retire with ``.../retire/``); an objective's ``standing`` gives its latest result and flags.
- ``/api/v1/measurements/``: append-only. GET (list, detail) and POST only; PUT, PATCH and DELETE
  answer 405. A correction is a POST naming ``corrects``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access
from aims.access import Action
from aims.api_common import (
    MANAGEMENT_SYSTEM_QUERY,
    AccessPermission,
    RegisterSerializer,
    RegisterViewSet,
    RetireMixin,
    ScopedRelatedField,
    TextLimitsMixin,
    filter_by_management_system,
    register_fields,
)
from aims.api_pagination import Pagination
from aims.models import ManagementSystem
from evidence.models import Evidence
from governance.models import Measurement, Metric, Objective
from governance.objectives import selectors, services
from governance.objectives.filters import MeasurementFilterSet, MetricFilterSet, ObjectiveFilterSet

# --- serializers -------------------------------------------------------------------------


class DecimalsAsNumbersMixin:
    """Values, targets and thresholds are JSON numbers (bounded by their digits), not strings."""

    def build_standard_field(self, field_name: str, model_field: Any) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if issubclass(field_class, serializers.DecimalField):
            kwargs["coerce_to_string"] = False
        return field_class, kwargs


class MetricSerializer(DecimalsAsNumbersMixin, RegisterSerializer):
    class Meta:
        model = Metric
        fields = register_fields(*Metric.editable_fields)


class StandingSerializer(serializers.Serializer):
    """Where an objective stands today: its latest result and its flags."""

    latest_period = serializers.DateField(allow_null=True)
    latest_value = serializers.DecimalField(max_digits=14, decimal_places=4, allow_null=True, coerce_to_string=False)
    latest_met = serializers.BooleanField(allow_null=True)
    missing_measurement = serializers.BooleanField(help_text="No measurement for the last completed period.")
    due_period = serializers.DateField(help_text="The last completed period.")
    target_missed = serializers.BooleanField()
    nonconformities = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of NCs raised from it.")


class ObjectiveSerializer(DecimalsAsNumbersMixin, RegisterSerializer):
    standing = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = register_fields(*Objective.editable_fields, "standing")

    @extend_schema_field(StandingSerializer)
    def get_standing(self, objective: Objective) -> dict[str, Any]:
        s = selectors.standing_of(objective)
        latest = s.latest
        return StandingSerializer(
            {
                "latest_period": latest.period if latest else None,
                "latest_value": latest.value if latest else None,
                "latest_met": latest.met if latest else None,
                "missing_measurement": s.missing,
                "due_period": s.due_period,
                "target_missed": s.missed,
                "nonconformities": sorted(nc.pk for nc in s.nonconformities.values()),
            }
        ).data


class MeasurementSerializer(DecimalsAsNumbersMixin, TextLimitsMixin, serializers.ModelSerializer):
    """One value of a metric for one period; recorded once (``recorded_at``, ``recorded_by`` by the server)."""

    metric = ScopedRelatedField(queryset=Metric.objects.all(), required=False, help_text="The metric measured.")
    evidence = ScopedRelatedField(queryset=Evidence.objects.all(), required=False, allow_null=True)
    corrects = ScopedRelatedField(
        queryset=Measurement.objects.all(),
        required=False,
        allow_null=True,
        help_text="The measurement this one corrects (the latest of its period); then give no metric or period.",
    )
    period = serializers.DateField(required=False, help_text="Any day of the period; kept as its first day.")
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True, allow_null=True, default=None)
    corrected_by = serializers.SerializerMethodField()

    class Meta:
        model = Measurement
        fields = [
            "id", "management_system", "metric", "period", "value", "note", "evidence", "corrects", "corrected_by",
            "recorded_at", "recorded_by",
        ]  # fmt: skip
        read_only_fields = ["management_system", "recorded_at"]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_corrected_by(self, measurement: Measurement) -> int | None:
        corrections = list(measurement.corrections.all())
        return corrections[0].pk if corrections else None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("corrects") is None and (attrs.get("metric") is None or attrs.get("period") is None):
            raise serializers.ValidationError("Give the metric and the period, or the measurement it corrects.")
        return attrs


# --- viewsets ----------------------------------------------------------------------------


class MetricViewSet(RetireMixin, RegisterViewSet):
    """Metrics (9.1): what is measured, how, how often, by whom, against which target; retired, never deleted."""

    serializer_class = MetricSerializer
    filterset_class = MetricFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[Metric]:
        return selectors.metric_queryset(user=self.request.user)

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Metric:
        return services.metric_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Metric, *, user: Any, expected_version: int, reason: str, data: dict) -> Metric:
        return services.metric_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: Metric, *, user: Any, expected_version: int, reason: str) -> Metric:
        return services.metric_retire(obj, user=user, expected_version=expected_version, reason=reason)


class ObjectiveViewSet(RetireMixin, RegisterViewSet):
    """AI objectives (6.2) with their latest result and flags; withdrawn with a reason, never deleted."""

    serializer_class = ObjectiveSerializer
    filterset_class = ObjectiveFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[Objective]:
        return selectors.objective_queryset(user=self.request.user)

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Objective:
        return services.objective_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Objective, *, user: Any, expected_version: int, reason: str, data: dict) -> Objective:
        return services.objective_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: Objective, *, user: Any, expected_version: int, reason: str) -> Objective:
        return services.objective_withdraw(obj, user=user, expected_version=expected_version, reason=reason)


class MeasurementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Measurements, append-only: list, read and record (POST); a correction is a POST naming ``corrects``.
    PUT, PATCH and DELETE are refused (405)."""

    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilterSet
    permission_classes = [AccessPermission]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> QuerySet[Measurement]:
        queryset = selectors.measurement_queryset(user=self.request.user)
        if self.action == "list":
            queryset = filter_by_management_system(queryset, self.request)
        return queryset.order_by("metric_id", "period", "recorded_at", "pk")

    @extend_schema(parameters=[MANAGEMENT_SYSTEM_QUERY])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        corrected = data.pop("corrects", None)
        metric = corrected.metric if corrected is not None else data.pop("metric")
        access.require(request.user, Action.CREATE, metric.management_system)
        common = {"user": request.user, "note": data.get("note", ""), "evidence": data.get("evidence")}
        if corrected is not None:
            row = services.measurement_correct(corrected, value=data["value"], **common)
        else:
            row = services.measurement_record(metric, period=data["period"], value=data["value"], **common)
        row = self.get_queryset().get(pk=row.pk)
        return Response(self.get_serializer(row).data, status=status.HTTP_201_CREATED)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("objectives", ObjectiveViewSet, basename="objective")
    router.register("metrics", MetricViewSet, basename="metric")
    router.register("measurements", MeasurementViewSet, basename="measurement")
