"""API of AI incidents: ``/api/v1/incidents/`` with history, If-Match and the handling's actions.

- ``GET|POST .../<id>/timeline/``: read the timeline, or append an entry (never changed or deleted);
- ``POST .../<id>/triage/``: link the incident to its outcome (If-Match);
- ``POST .../<id>/transition/`` ``{"to", "reason"}``: resolved, closed, or back to triaged (If-Match);
- ``POST .../<id>/decide-reporting/``: leadership's decision, recorded and signed (If-Match, X-OTP);
- ``POST .../<id>/obligations/<obligation id>/``: a report's submission or a waiver (If-Match: the
  obligation's ETag);
- ``POST .../<id>/retire/``: withdraw with a reason (incidents are never deleted);
- ``POST /api/v1/incidents/concern/``: any member but an auditor raises a concern (A.3.3).

Refusals are 400 with the reason; outside the user's management systems, 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access
from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    ManagementSystemField,
    RegisterSerializer,
    RegisterViewSet,
    RetireMixin,
    ScopedRelatedField,
    SignOffRequestSerializer,
    SignOffSerializer,
    etag_response,
    expected_version,
    register_fields,
    validated,
)
from aims.limits import TEXT_MAX
from aims.models import ManagementSystem
from assessments.models import ImpactAssessment, Risk
from controls.catalog import ANNEX_A, CLAUSES
from controls.models import Control
from improvement.incidents import selectors, services
from improvement.incidents.filters import IncidentFilterSet
from improvement.models import Incident, Nonconformity, ReportingObligation, TimelineEntry
from registers.models import AISystem

# --- serializers -----------------------------------------------------------------------------------


class ObligationSerializer(serializers.ModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True)
    is_settled = serializers.BooleanField(read_only=True)
    was_late = serializers.BooleanField(read_only=True)

    class Meta:
        model = ReportingObligation
        fields = [
            "id", "regime", "regime_title", "legal_reference", "authority", "deadline", "deadline_basis",
            "submitted_on", "submission_reference", "waived_reason", "version", "is_settled", "is_overdue", "was_late",
        ]  # fmt: skip
        read_only_fields = fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()
    at = serializers.DateTimeField(required=False, help_text="When it happened (default: now).")
    text = serializers.CharField(max_length=TEXT_MAX)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "author", "text", "automatic", "recorded_at"]
        read_only_fields = ["id", "author", "automatic", "recorded_at"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_author(self, entry: TimelineEntry) -> str | None:
        return entry.author.get_username() if entry.author else None


class LinkedRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(read_only=True)


DECISIONS = ["report", "do_not_report"]


class IncidentSerializer(RegisterSerializer):
    reporter = serializers.SerializerMethodField(help_text="Who reported it; null for an anonymous concern.")
    # Plain strings: the choice sets are named once, where they are written (transition, decide-reporting).
    status = serializers.CharField(read_only=True, help_text="reported, triaged, resolved or closed.")
    report_decision = serializers.CharField(
        read_only=True, help_text="Leadership's signed decision: report, do_not_report, or empty (none yet)."
    )
    obligations = ObligationSerializer(many=True, read_only=True)
    nonconformities = LinkedRecordSerializer(many=True, read_only=True)
    overdue = serializers.SerializerMethodField(help_text="A reporting obligation is past its deadline, unsettled.")

    class Meta:
        model = Incident
        fields = register_fields(
            *Incident.editable_fields,
            "reporter", "anonymous", "status", "outcome", "outcome_reason", "outcome_risk",
            "outcome_impact_assessment", "nonconformities", "report_decision", "report_decision_reason",
            "closed_at", "obligations", "overdue",
        )  # fmt: skip
        read_only_fields = [
            "anonymous", "status", "outcome", "outcome_reason", "outcome_risk", "outcome_impact_assessment",
            "report_decision", "report_decision_reason", "closed_at",
        ]  # fmt: skip

    @extend_schema_field({"type": "string", "nullable": True})
    def get_reporter(self, incident: Incident) -> str | None:
        return incident.reporter.get_username() if incident.reporter else None

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, incident: Incident) -> bool:
        return bool(incident.overdue_obligations)


class TriageSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[c for c in Incident.Outcome.choices if c[0]])
    reason = serializers.CharField(max_length=TEXT_MAX, help_text="Why this is the outcome (required).")
    risk = ScopedRelatedField(queryset=Risk.objects.all(), required=False, allow_null=True)
    impact_assessment = ScopedRelatedField(queryset=ImpactAssessment.objects.all(), required=False, allow_null=True)
    requirements = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Control.objects.filter(framework__key__in=[CLAUSES, ANNEX_A]),
        help_text="For a nonconformity: the clauses or Annex A controls not met (at least one).",
    )
    nc_title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    nc_grade = serializers.ChoiceField(choices=Nonconformity.Grade.choices, required=False)


class IncidentTransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=Incident.Status.choices)
    reason = serializers.CharField(max_length=100)


@extend_schema_field({"type": "string", "enum": DECISIONS, "description": "Report the incident, or not."})
class DecisionField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=DECISIONS, **kwargs)


class DecisionSerializer(SignOffRequestSerializer):
    decision = DecisionField()
    reason = serializers.CharField(max_length=2000, help_text="The reason for the decision, signed with it.")


class ObligationSettleSerializer(serializers.Serializer):
    submitted_on = serializers.DateTimeField(required=False, allow_null=True)
    submission_reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    waived_reason = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True)


class ConcernSerializer(serializers.Serializer):
    management_system = ManagementSystemField(action=Action.VIEW)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=TEXT_MAX)
    ai_systems = ScopedRelatedField(many=True, queryset=AISystem.objects.all(), required=False)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    anonymous = serializers.BooleanField(default=False)


# --- viewset -----------------------------------------------------------------------------------------


class IncidentViewSet(RetireMixin, RegisterViewSet):
    """AI incidents and concerns (A.3.3, A.8.3, A.8.4). Recording or changing an incident recomputes
    its reporting obligations from the rules file. Incidents are withdrawn, never deleted."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering = ("-detected_at", "-pk")
    access_actions = {
        "timeline": Action.VIEW,
        "triage": Action.EDIT,
        "transition": Action.EDIT,
        "decide_reporting": Action.VIEW,  # who may sign is the sign-off kind's rule (leadership)
        "obligation": Action.EDIT,
        "concern": Action.VIEW,
    }

    def get_base_queryset(self) -> QuerySet[Incident]:
        return selectors.incident_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Incident:
        return services.incident_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: Incident, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> Incident:
        return services.incident_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: Incident, *, user: Any, expected_version: int, reason: str) -> Incident:
        return services.incident_withdraw(obj, user=user, expected_version=expected_version, reason=reason)

    @extend_schema(
        methods=["GET"], responses=TimelineEntrySerializer(many=True), filters=False, description="The timeline."
    )
    @extend_schema(methods=["POST"], request=TimelineEntrySerializer, responses={201: TimelineEntrySerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def timeline(self, request: Request, pk: Any = None) -> Response:
        """Read the timeline, or append an entry to it (entries are never changed or deleted)."""
        incident = self.get_object()
        if request.method == "GET":
            return Response(TimelineEntrySerializer(selectors.timeline_of(incident), many=True).data)
        access.require(request.user, Action.EDIT, incident)
        body = TimelineEntrySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.timeline_append(
            incident, user=request.user, text=body.validated_data["text"], at=body.validated_data.get("at")
        )
        return Response(TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TriageSerializer, responses=IncidentSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: Any = None) -> Response:
        """Link the incident to its outcome (a nonconformity is raised here: officers and owners only)."""
        incident, version, data = self.read_for_change(request, TriageSerializer)
        if data["outcome"] == Incident.Outcome.NONCONFORMITY:
            access.require(request.user, Action.CREATE, incident.management_system)
        updated = services.incident_triage(incident, user=request.user, expected_version=version, **data)
        return self._respond(updated)

    @extend_schema(request=IncidentTransitionSerializer, responses=IncidentSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: Any = None) -> Response:
        """Move the incident to ``to`` (resolved, closed, or back to triaged) with a reason."""
        return self.change_with(request, services.incident_transition, IncidentTransitionSerializer)

    @extend_schema(
        request=DecisionSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"], url_path="decide-reporting")
    def decide_reporting(self, request: Request, pk: Any = None) -> Response:
        """Leadership decides whether a possibly serious incident is reported, with a reason, and signs it."""
        return self.sign_with(request, services.incident_decide_reporting, DecisionSerializer)

    @extend_schema(request=ObligationSettleSerializer, responses=ObligationSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path=r"obligations/(?P<obligation_id>[0-9]+)")
    def obligation(self, request: Request, pk: Any = None, obligation_id: str = "") -> Response:
        """Record a report's submission (moment and reference) or waive the obligation with a reason."""
        incident = self.get_object()
        obligation = next((o for o in incident.obligations.all() if str(o.pk) == obligation_id), None)
        if obligation is None:
            raise exceptions.NotFound("This incident has no such reporting obligation.")
        version = expected_version(request, obligation.version)
        data = validated(request, ObligationSettleSerializer)
        settled = services.obligation_settle(obligation, user=request.user, expected_version=version, **data)
        return etag_response(ObligationSerializer(settled).data, settled.version)

    @extend_schema(request=ConcernSerializer, responses={201: IncidentSerializer})
    @action(detail=False, methods=["post"])
    def concern(self, request: Request) -> Response:
        """Raise a concern (A.3.3): any member but an auditor; ``anonymous`` leaves no name in the register."""
        data = validated(request, ConcernSerializer, context=self.get_serializer_context())
        management_system = data.pop("management_system")
        if not selectors.may_raise_concern(request.user, management_system):
            raise exceptions.PermissionDenied("Auditors record what they observe as audit findings, not concerns.")
        incident = services.concern_raise(management_system=management_system, user=request.user, **data)
        return self._respond(incident, status.HTTP_201_CREATED)


def register(router: BaseRouter) -> None:
    """Register this family's viewsets on the shared /api/v1/ router."""
    router.register("incidents", IncidentViewSet, basename="incident")
