"""API of management reviews (9.3): ``/api/v1/management-reviews/``.

- ``GET`` lists and reads reviews with their inputs (the frozen snapshot; null before freezing),
  decisions and actions nested; ``POST`` plans one (its inputs are seeded); ``PATCH .../<id>/``
  changes it (If-Match); ``GET .../<id>/history/`` its versions.
- ``POST .../<id>/freeze-inputs/`` freezes the inputs, ``POST .../<id>/held/`` records it held (both If-Match).
- ``POST .../<id>/sign/``: the chair signs the minutes (If-Match: the review's version; X-OTP); 400
  listing every missing condition.
- Inputs: ``PATCH .../<id>/inputs/<input_id>/`` (notes, discussed; If-Match: the input's version).
- Decisions: ``POST .../<id>/decisions/``; ``PATCH .../<id>/decisions/<did>/`` and
  ``POST .../<id>/decisions/<did>/remove/`` (If-Match: the decision's version).
- Actions: ``POST .../<id>/actions/``; ``PATCH .../<id>/actions/<aid>/`` and
  ``POST .../<id>/actions/<aid>/status/`` (If-Match: the action's version).

Who runs a review (everything but reading and signing): officers, owners and the chair
(``services.may_run``); who signs: the chair (``signoffs``).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import ledger
from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    MemberField,
    RegisterSerializer,
    RegisterViewSet,
    ScopedRelatedField,
    SignedPageMixin,
    SignedStateMixin,
    SignOffRequestSerializer,
    SignOffSerializer,
    TextLimitsMixin,
    etag_response,
    expected_version,
    register_fields,
    validated,
)
from aims.models import ManagementSystem
from governance.models import DocumentVersion, Objective
from improvement.models import Nonconformity
from reviews.meetings import selectors, services
from reviews.meetings.inputs import KINDS
from reviews.meetings.signoffs import MINUTES
from reviews.models import ManagementReview, ReviewAction, ReviewDecision, ReviewInput

urlpatterns: list[URLPattern] = []


def annotate_minutes(records: list[Any], kind: str) -> list[Any]:
    """The ledger's sign-off state; "changed since signed" once signed means the minutes were reopened.

    Signing closes the review, its inputs and decisions (the services refuse changes), and the
    follow-up of actions is not part of what is signed: a signed review whose status is still
    "minutes signed" has not changed. Two queries per page, whatever its size.
    """
    records = ledger.annotate_sign_offs(records, kind)
    for record in records:
        record.changed_since_signed = (
            record.latest_sign_off is not None and record.status != ManagementReview.Status.MINUTES_SIGNED
        )
    return records


class ReviewInputSerializer(TextLimitsMixin, serializers.ModelSerializer):
    """An input (9.3.2): its kind, the frozen snapshot with its SHA-256, its discussion notes and mark."""

    label = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    required = serializers.SerializerMethodField()

    class Meta:
        model = ReviewInput
        fields = ["id", "key", "label", "title", "required", "content", "digest", "notes", "discussed", "version"]
        read_only_fields = ["key", "content", "digest", "version"]

    def get_label(self, row: ReviewInput) -> str:
        return KINDS[row.key].label if row.key in KINDS else ""

    def get_title(self, row: ReviewInput) -> str:
        return KINDS[row.key].title if row.key in KINDS else row.key

    def get_required(self, row: ReviewInput) -> bool:
        return bool(row.key in KINDS and KINDS[row.key].required)


class ReviewDecisionSerializer(TextLimitsMixin, serializers.ModelSerializer):
    class Meta:
        model = ReviewDecision
        fields = ["id", "decision_type", "text", "version"]
        read_only_fields = ["version"]


class ReviewDecisionChangeSerializer(ReviewDecisionSerializer):
    class Meta(ReviewDecisionSerializer.Meta):
        extra_kwargs = {"decision_type": {"required": False}, "text": {"required": False}}


class ReviewActionSerializer(TextLimitsMixin, serializers.ModelSerializer):
    """An action of the review: owner (a member who may own records), due date, status, records it created."""

    owner = MemberField(queryset=ReviewAction._meta.get_field("owner").related_model.objects.all())
    objective = ScopedRelatedField(queryset=Objective.objects.all(), required=False, allow_null=True)
    nonconformity = ScopedRelatedField(queryset=Nonconformity.objects.all(), required=False, allow_null=True)
    document_version = ScopedRelatedField(queryset=DocumentVersion.objects.all(), required=False, allow_null=True)

    class Meta:
        model = ReviewAction
        fields = [
            "id", "reference", "title", "owner", "due_on", "status", "completed_on", "objective", "nonconformity",
            "document_version", "version",
        ]  # fmt: skip
        read_only_fields = ["reference", "status", "completed_on", "version"]


class ReviewActionChangeSerializer(ReviewActionSerializer):
    class Meta(ReviewActionSerializer.Meta):
        extra_kwargs = {"title": {"required": False}, "owner": {"required": False}}


class ReviewActionStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ReviewAction.Status.choices)


class ReviewHeldSerializer(serializers.Serializer):
    held_on = serializers.DateField(required=False, help_text="The day it was held (today when not given).")


class ManagementReviewSerializer(SignedStateMixin, RegisterSerializer):
    """A management review (9.3) with its inputs, decisions and actions, and the minutes' signature."""

    sign_off_kind = MINUTES
    annotate_signed = staticmethod(annotate_minutes)
    inputs = ReviewInputSerializer(many=True, read_only=True)
    decisions = ReviewDecisionSerializer(many=True, read_only=True)
    actions = ReviewActionSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True)
    inputs_frozen_by = serializers.SerializerMethodField()

    class Meta:
        model = ManagementReview
        fields = register_fields(
            *ManagementReview.editable_fields, "status", "inputs_frozen_at", "inputs_frozen_by", "inputs_since",
            "inputs_digest", "inputs", "decisions", "actions", "latest_sign_off", "signed_version",
            "changed_since_signed",
        )  # fmt: skip
        read_only_fields = ["inputs_frozen_at", "inputs_since", "inputs_digest"]

    @extend_schema_field({"type": "string", "nullable": True})
    def get_inputs_frozen_by(self, review: ManagementReview) -> str | None:
        return review.inputs_frozen_by.get_username() if review.inputs_frozen_by else None


class ManagementReviewViewSet(SignedPageMixin, RegisterViewSet):
    """Management reviews (9.3): planned, inputs frozen, held, minutes signed by the chair. Never deleted."""

    serializer_class = ManagementReviewSerializer
    filterset_class = selectors.ReviewFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    sign_off_kind = MINUTES
    annotate_signed = staticmethod(annotate_minutes)
    ordering = ("-planned_on", "-pk")
    # Who runs a review or signs its minutes is the services' and the sign-off kind's rule.
    access_actions = {
        "update": Action.VIEW,
        "partial_update": Action.VIEW,
        "freeze_inputs": Action.VIEW,
        "held": Action.VIEW,
        "sign": Action.VIEW,
        "input": Action.VIEW,
        "decisions": Action.VIEW,
        "decision": Action.VIEW,
        "decision_remove": Action.VIEW,
        "actions": Action.VIEW,
        "action_change": Action.VIEW,
        "action_status": Action.VIEW,
    }

    def get_base_queryset(self) -> QuerySet[ManagementReview]:
        return selectors.review_queryset(user=self.request.user)

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Any:
        return services.review_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: ManagementReview, *, user: Any, expected_version: int, reason: str, data: dict) -> Any:
        services.require_may_run(user, obj)
        return services.review_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.require_may_run(request.user, self.get_object())  # 403 before the body is judged
        return super().update(request, *args, **kwargs)

    def _running(self) -> ManagementReview:
        review = self.get_object()
        services.require_may_run(self.request.user, review)
        return review

    @extend_schema(request=None, responses=ManagementReviewSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path="freeze-inputs")
    def freeze_inputs(self, request: Request, pk: Any = None) -> Response:
        """Freeze the inputs as gathered now (If-Match: the review's version)."""
        review = self._running()
        version = expected_version(request, review.version)
        return self._respond(services.review_freeze_inputs(review, user=request.user, expected_version=version))

    @extend_schema(request=ReviewHeldSerializer, responses=ManagementReviewSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def held(self, request: Request, pk: Any = None) -> Response:
        """Record the review as held (If-Match), once its inputs are frozen."""
        return self.change_with(request, services.review_mark_held, ReviewHeldSerializer, self._running())

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: Any = None) -> Response:
        """The chair signs the minutes (If-Match, X-OTP); 400 lists every condition still missing."""
        return self.sign_with(request, services.review_sign_minutes)

    def _child(self, rows: Any, child_id: Any, what: str) -> Any:
        found = next((row for row in rows if str(row.pk) == str(child_id)), None)
        if found is None:
            raise NotFound(f"No such {what} in this review.")
        return found

    @extend_schema(request=ReviewInputSerializer, responses=ReviewInputSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["patch"], url_path=r"inputs/(?P<input_id>[0-9]+)")
    def input(self, request: Request, pk: Any = None, input_id: Any = None) -> Response:
        """Write an input's discussion notes or mark it discussed (If-Match: the input's version)."""
        review = self._running()
        row = self._child(review.inputs.all(), input_id, "input")
        version = expected_version(request, row.version)
        body = ReviewInputSerializer(row, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        fields = {k: v for k, v in body.validated_data.items() if k in ReviewInput.editable_fields}
        row = services.input_update(row, user=request.user, expected_version=version, **fields)
        return etag_response(ReviewInputSerializer(row).data, row.version)

    @extend_schema(request=ReviewDecisionSerializer, responses={201: ReviewDecisionSerializer})
    @action(detail=True, methods=["post"])
    def decisions(self, request: Request, pk: Any = None) -> Response:
        """Record a decision of the review."""
        review = self._running()
        data = validated(request, ReviewDecisionSerializer)
        decision = services.decision_add(review, user=request.user, **data)
        return etag_response(ReviewDecisionSerializer(decision).data, decision.version, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReviewDecisionChangeSerializer, responses=ReviewDecisionSerializer, parameters=[IF_MATCH_HEADER]
    )
    @action(detail=True, methods=["patch"], url_path=r"decisions/(?P<decision_id>[0-9]+)")
    def decision(self, request: Request, pk: Any = None, decision_id: Any = None) -> Response:
        """Change a decision (If-Match: the decision's version)."""
        review = self._running()
        decision = self._child(review.decisions.all(), decision_id, "decision")
        version = expected_version(request, decision.version)
        data = validated(request, ReviewDecisionChangeSerializer)
        decision = services.decision_update(decision, user=request.user, expected_version=version, **data)
        return etag_response(ReviewDecisionSerializer(decision).data, decision.version)

    @extend_schema(request=None, responses={204: None}, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path=r"decisions/(?P<decision_id>[0-9]+)/remove")
    def decision_remove(self, request: Request, pk: Any = None, decision_id: Any = None) -> Response:
        """Take a decision out of the minutes before they are signed (If-Match: the decision's version)."""
        review = self._running()
        decision = self._child(review.decisions.all(), decision_id, "decision")
        version = expected_version(request, decision.version)
        services.decision_remove(decision, user=request.user, expected_version=version)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ReviewActionSerializer, responses={201: ReviewActionSerializer})
    @action(detail=True, methods=["post"])
    def actions(self, request: Request, pk: Any = None) -> Response:
        """Record an action of the review."""
        review = self._running()
        data = validated(request, ReviewActionSerializer, context=self.get_serializer_context())
        created = services.action_add(review, user=request.user, **data)
        return etag_response(ReviewActionSerializer(created).data, created.version, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewActionChangeSerializer, responses=ReviewActionSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["patch"], url_path=r"actions/(?P<action_id>[0-9]+)")
    def action_change(self, request: Request, pk: Any = None, action_id: Any = None) -> Response:
        """Change an action (If-Match: the action's version)."""
        review = self._running()
        found = self._child(review.actions.all(), action_id, "action")
        version = expected_version(request, found.version)
        data = validated(request, ReviewActionChangeSerializer, context=self.get_serializer_context())
        changed = services.action_update(found, user=request.user, expected_version=version, **data)
        return etag_response(ReviewActionSerializer(changed).data, changed.version)

    @extend_schema(request=ReviewActionStatusSerializer, responses=ReviewActionSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_id>[0-9]+)/status")
    def action_status(self, request: Request, pk: Any = None, action_id: Any = None) -> Response:
        """Follow an action up: open, done or cancelled (If-Match: the action's version)."""
        review = self._running()
        found = self._child(review.actions.all(), action_id, "action")
        version = expected_version(request, found.version)
        data = validated(request, ReviewActionStatusSerializer)
        changed = services.action_set_status(found, user=request.user, expected_version=version, **data)
        return etag_response(ReviewActionSerializer(changed).data, changed.version)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("management-reviews", ManagementReviewViewSet, basename="management-review")
