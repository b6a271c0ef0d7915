"""API of risk criteria, risks (with acceptance), AI impact assessments (with approval) and the heat map."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.urls import path
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access
from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    AccessPermission,
    ApproveMixin,
    MemberField,
    RegisterSerializer,
    RegisterViewSet,
    RetireMixin,
    SignedPageMixin,
    SignedStateMixin,
    SignOffRequestSerializer,
    SignOffSerializer,
    TextLimitsMixin,
    register_fields,
)
from aims.models import ManagementSystem
from assessments import selectors, services, signoffs
from assessments.filters import ImpactFilterSet, RiskFilterSet
from assessments.heatmap import heatmap
from assessments.models import ImpactAssessment, ImpactCriteria, ImpactRow, Risk, RiskCriteria, TreatmentAction
from controls.catalog import ANNEX_A
from controls.models import Control

# --- serializers -------------------------------------------------------------------------


class RiskCriteriaSerializer(RegisterSerializer):
    class Meta:
        model = RiskCriteria
        fields = register_fields(
            "number",
            "title",
            "likelihood_scale",
            "consequence_scale",
            "method",
            "bands",
            "matrix",
            "acceptable_level",
            "authority",
            "intolerable_level",
            "consequence_basis",
            "rationale",
        )
        read_only_fields = ["number"]


class TreatmentActionSerializer(TextLimitsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Keep an action's id to update it in place.")
    owner = MemberField(allow_null=True, required=False)

    class Meta:
        model = TreatmentAction
        fields = ["id", *TreatmentAction.editable_fields]


class ListedSignedStateMixin(SignedStateMixin):
    """Sign-off state as ``SignedStateMixin`` gives it, the latest sign-off written by one nested
    serializer for the whole list (built once, not once per row)."""

    latest_sign_off = SignOffSerializer(read_only=True, allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return super().to_representation(self._annotated(instance))


class RiskSerializer(ListedSignedStateMixin, RegisterSerializer):
    sign_off_kind = signoffs.ACCEPTANCE
    controls = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=Control.objects.filter(framework__key=ANNEX_A)
    )
    control_keys = serializers.SlugRelatedField(source="controls", many=True, read_only=True, slug_field="key")
    actions = TreatmentActionSerializer(many=True, required=False)
    # Columns of the selector's query (``selectors.risk_queryset``, ``risk_api_list``), not read per row.
    criteria_version = serializers.IntegerField(read_only=True)
    is_overdue = serializers.BooleanField(source="review_overdue", read_only=True)
    # Plain strings: one level enum (the criteria's acceptable_level) is enough for the schema.
    inherent_level = serializers.CharField(read_only=True, help_text="low, medium, high or critical (computed).")
    residual_level = serializers.CharField(read_only=True, help_text="low, medium, high, critical or empty (computed).")

    class Meta:
        model = Risk
        fields = register_fields(
            *Risk.editable_fields,
            "criteria",
            "criteria_version",
            "inherent_level",
            "evaluation",
            "residual_level",
            "residual_evaluation",
            "control_keys",
            "is_overdue",
            "impact_row",
            "actions",
            "latest_sign_off",
            "signed_version",
            "changed_since_signed",
        )
        read_only_fields = [
            "criteria", "inherent_level", "evaluation", "residual_level", "residual_evaluation", "impact_row",
        ]  # fmt: skip


class ImpactRowSerializer(TextLimitsMixin, serializers.ModelSerializer):
    id = serializers.IntegerField(required=False)
    severity = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very low) to 5 (very high).")
    likelihood = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (very low) to 5 (very high).")
    residual_impact = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    risks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = ImpactRow
        fields = ["id", *ImpactRow.editable_fields, "risks"]


class ImpactAssessmentSerializer(ListedSignedStateMixin, RegisterSerializer):
    sign_off_kind = signoffs.APPROVAL
    rows = ImpactRowSerializer(many=True, required=False)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = ImpactAssessment
        fields = register_fields(
            *ImpactAssessment.editable_fields,
            "impact_criteria",
            "predecessor",
            "is_overdue",
            "rows",
            "latest_sign_off",
            "signed_version",
            "changed_since_signed",
        )
        read_only_fields = ["impact_criteria", "predecessor"]


# --- viewsets ----------------------------------------------------------------------------


class RiskCriteriaViewSet(ApproveMixin, RegisterViewSet):
    """Versions of each management system's risk criteria. POST puts a new version in force;
    a version can be changed only while no risk has been scored with it. Versions are never deleted.
    ``POST .../approve/``: leadership approves a version (If-Match, X-OTP)."""

    serializer_class = RiskCriteriaSerializer
    approve_kind = signoffs.CRITERIA_APPROVAL
    access_actions = {"approve": Action.VIEW}  # who may approve is the sign-off kind's rule
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering = ("management_system_id", "-number")

    def get_base_queryset(self) -> QuerySet[RiskCriteria]:
        return selectors.criteria_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> RiskCriteria:
        return services.risk_criteria_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: RiskCriteria, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> RiskCriteria:
        return services.risk_criteria_update(obj, user=user, expected_version=expected_version, reason=reason, **data)


class ImpactCriteriaSerializer(RegisterSerializer):
    class Meta:
        model = ImpactCriteria
        fields = register_fields("number", *ImpactCriteria.editable_fields)
        read_only_fields = ["number"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        candidate = ImpactCriteria(**{k: v for k, v in attrs.items() if k in ImpactCriteria.editable_fields})
        try:
            candidate.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs


class ImpactCriteriaViewSet(ApproveMixin, RegisterViewSet):
    """Versions of the impact criteria (what each impact rating means). POST puts a new version in force;
    ``POST .../approve/``: leadership approves a version (If-Match, X-OTP). Never changed or deleted."""

    serializer_class = ImpactCriteriaSerializer
    approve_kind = signoffs.IMPACT_CRITERIA_APPROVAL
    access_actions = {"approve": Action.VIEW}
    http_method_names = ["get", "post", "head", "options"]
    ordering = ("management_system_id", "-number")

    def get_base_queryset(self) -> QuerySet[ImpactCriteria]:
        return selectors.impact_criteria_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> ImpactCriteria:
        return services.impact_criteria_create(management_system=management_system, user=user, reason=reason, **data)


class RiskViewSet(SignedPageMixin, RetireMixin, RegisterViewSet):
    """The risk register. Levels are computed from the ratings on the risk's criteria version
    (the version in force when it was created). ``actions`` replaces the treatment actions
    when given. ``POST .../accept/`` accepts the current version (If-Match required)."""

    serializer_class = RiskSerializer
    filterset_class = RiskFilterSet
    sign_off_kind = signoffs.ACCEPTANCE
    access_actions = {"accept": Action.VIEW}

    def get_base_queryset(self) -> QuerySet[Risk]:
        if self.action == "list":
            return selectors.risk_api_list(user=self.request.user)
        return selectors.risk_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Risk:
        return services.risk_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Risk, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]) -> Risk:
        return services.risk_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def delete_object(self, obj: Risk, *, user: Any, expected_version: int, reason: str) -> None:
        services.risk_delete(obj, user=user, expected_version=expected_version, reason=reason)

    def retire_object(self, obj: Risk, *, user: Any, expected_version: int, reason: str) -> Risk:
        return services.risk_withdraw(obj, user=user, expected_version=expected_version, reason=reason)

    @extend_schema(
        request=SignOffRequestSerializer,
        responses={201: SignOffSerializer},
        parameters=[IF_MATCH_HEADER, X_OTP_HEADER],
    )
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: Any = None) -> Response:
        return self.sign_with(request, services.risk_accept)


class ImpactAssessmentViewSet(SignedPageMixin, RetireMixin, RegisterViewSet):
    """AI system impact assessments (ISO/IEC 42005 shaped). ``rows`` updates rows with an id,
    adds those without and removes those left out. ``POST .../approve/`` approves the
    current version (leadership; If-Match required)."""

    serializer_class = ImpactAssessmentSerializer
    filterset_class = ImpactFilterSet
    sign_off_kind = signoffs.APPROVAL
    access_actions = {"approve": Action.SIGN_OFF, "reassess": Action.VIEW}

    @extend_schema(request=None, responses={201: ImpactAssessmentSerializer})
    @action(detail=True, methods=["post"])
    def reassess(self, request: Request, pk: Any = None) -> Response:
        """Start a re-assessment of an approved (locked) assessment: a new record linked to it."""
        assessment = self.get_object()
        access.require(request.user, Action.CREATE, assessment.management_system)
        successor = services.impact_assessment_reassess(assessment, user=request.user)
        return self._respond(successor, status.HTTP_201_CREATED)

    def get_base_queryset(self) -> QuerySet[ImpactAssessment]:
        return selectors.impact_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> ImpactAssessment:
        return services.impact_assessment_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: ImpactAssessment, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> ImpactAssessment:
        return services.impact_assessment_update(
            obj, user=user, expected_version=expected_version, reason=reason, **data
        )

    def delete_object(self, obj: ImpactAssessment, *, user: Any, expected_version: int, reason: str) -> None:
        services.impact_assessment_delete(obj, user=user, expected_version=expected_version, reason=reason)

    def retire_object(
        self, obj: ImpactAssessment, *, user: Any, expected_version: int, reason: str
    ) -> ImpactAssessment:
        return services.impact_assessment_withdraw(obj, user=user, expected_version=expected_version, reason=reason)

    @extend_schema(
        request=SignOffRequestSerializer,
        responses={201: SignOffSerializer},
        parameters=[IF_MATCH_HEADER, X_OTP_HEADER],
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self.sign_with(request, services.impact_assessment_approve)


def _as_of(raw: str) -> Any:
    if not raw:
        return None
    moment = parse_datetime(raw)
    if moment is None and (day := parse_date(raw)) is not None:
        from datetime import datetime, time

        from django.utils import timezone

        moment = timezone.make_aware(datetime.combine(day, time.max))
    if moment is None:
        raise exceptions.ValidationError({"as_of": ["Give a date (2026-05-01) or an ISO 8601 date and time."]})
    return moment


@extend_schema(
    parameters=[OpenApiParameter("as_of", str, OpenApiParameter.QUERY, description="A past date or date-time.")],
    responses={200: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
@permission_classes([AccessPermission])
def heatmap_view(request: Request, pk: int) -> Response:
    """The risk heat map of a management system: counts per likelihood x consequence cell, inherent and residual."""
    management_system = access.get_management_system(request.user, pk, Action.VIEW)
    data = heatmap(management_system, _as_of(request.query_params.get("as_of", "").strip()))
    return Response(data.as_dict())


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the shared /api/v1/ router."""
    router.register("risk-criteria", RiskCriteriaViewSet, basename="risk-criteria")
    router.register("impact-criteria", ImpactCriteriaViewSet, basename="impact-criteria")
    router.register("risks", RiskViewSet, basename="risk")
    router.register("impact-assessments", ImpactAssessmentViewSet, basename="impact-assessment")


urlpatterns = [
    path("management-systems/<int:pk>/heatmap/", heatmap_view, name="management-system-heatmap"),
]
