"""API of nonconformities (with transitions, effectiveness reviews and the closure sign-off) and corrective actions.

- ``/api/v1/nonconformities/``: the register (history, If-Match, withdraw with ``.../retire/``);
  ``POST .../<id>/transition/`` ``{"to": state, "reason": ...}`` moves it by hand (If-Match);
  ``GET|POST .../<id>/reviews/`` lists and plans effectiveness reviews, ``PATCH .../reviews/<rid>/``
  changes a plan, ``POST .../reviews/<rid>/perform/`` records the result (If-Match: the NC's
  version); ``POST .../<id>/close/`` is the closure sign-off (If-Match, X-OTP).
- ``/api/v1/corrective-actions/``: their own register; the owner of an action, even a
  contributor, may update it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access, ledger
from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    MemberField,
    RegisterSerializer,
    RegisterViewSet,
    RetireMixin,
    ScopedRelatedField,
    SignedPageMixin,
    SignOffRequestSerializer,
    SignOffSerializer,
    TextLimitsMixin,
    register_fields,
    validated,
)
from aims.limits import TEXT_MAX
from aims.models import ManagementSystem
from improvement.models import CorrectiveAction, EffectivenessReview, Nonconformity
from improvement.nonconformities import selectors, services
from improvement.nonconformities.filters import CorrectiveActionFilterSet, NonconformityFilterSet
from improvement.nonconformities.forms import requirement_choices
from improvement.nonconformities.signoffs import CLOSURE

# --- serializers -------------------------------------------------------------------------


class ActionSummarySerializer(serializers.ModelSerializer):
    """A corrective action as its nonconformity lists it."""

    owner = serializers.CharField(source="owner.username", read_only=True, allow_null=True, default=None)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = CorrectiveAction
        fields = ["id", "reference", "iteration", *CorrectiveAction.editable_fields, "is_overdue"]
        read_only_fields = fields


class ReviewSerializer(serializers.ModelSerializer):
    """An effectiveness review (10.2 d)."""

    reviewer = serializers.CharField(source="reviewer.username", read_only=True, allow_null=True, default=None)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = EffectivenessReview
        fields = [
            "id",
            "iteration",
            "method",
            "planned_on",
            "reviewer",
            "performed_on",
            "result",
            "notes",
            "is_overdue",
        ]
        read_only_fields = fields


class NonconformitySerializer(RegisterSerializer):
    requirements = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=requirement_choices(),
        help_text="Clause or Annex A control ids: one at least.",
    )
    requirement_keys = serializers.SlugRelatedField(source="requirements", many=True, read_only=True, slug_field="key")
    finding = serializers.SerializerMethodField(help_text="The finding this NC was raised from, if any.")
    has_overdue_action = serializers.BooleanField(read_only=True)
    has_overdue_review = serializers.BooleanField(read_only=True)
    actions = ActionSummarySerializer(many=True, read_only=True)
    reviews = ReviewSerializer(many=True, read_only=True)
    closure = serializers.SerializerMethodField(help_text="The closure sign-off, once closed.")

    class Meta:
        model = Nonconformity
        fields = register_fields(
            *Nonconformity.editable_fields,
            "state", "iteration", "closed_at", "source_incident", "finding", "requirement_keys",
            "has_overdue_action", "has_overdue_review", "actions", "reviews", "closure",
        )  # fmt: skip
        read_only_fields = ["state", "iteration", "closed_at", "source_incident"]

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_finding(self, nc: Nonconformity) -> int | None:
        finding = getattr(nc, "finding", None)
        return finding.pk if finding is not None else None

    @extend_schema_field(SignOffSerializer(allow_null=True))
    def get_closure(self, nc: Nonconformity) -> dict | None:
        if not hasattr(nc, "latest_sign_off"):
            ledger.annotate_sign_offs([nc], CLOSURE)
        return SignOffSerializer(nc.latest_sign_off).data if nc.latest_sign_off else None


class CorrectiveActionSerializer(RegisterSerializer):
    nonconformity = ScopedRelatedField(queryset=Nonconformity.objects.all(), help_text="The nonconformity it corrects.")
    nonconformity_reference = serializers.CharField(source="nonconformity.reference", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = CorrectiveAction
        fields = register_fields(
            "nonconformity", "nonconformity_reference", "iteration", *CorrectiveAction.editable_fields, "is_overdue"
        )
        read_only_fields = ["iteration"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["nonconformity"] = serializers.PrimaryKeyRelatedField(read_only=True)  # an action never moves
        return fields


class TransitionSerializer(serializers.Serializer):
    # Plain text, checked by the transition table, which names the states it may go to from here.
    to = serializers.CharField(
        max_length=30, help_text=f"The state to move to: one of {', '.join(Nonconformity.State.values)}."
    )
    reason = serializers.CharField(max_length=services.TRANSITION_REASON_MAX, help_text="Why (kept in history).")


class ReviewPlanSerializer(TextLimitsMixin, serializers.Serializer):
    method = serializers.CharField(max_length=TEXT_MAX, help_text="How effectiveness will be judged.")
    planned_on = serializers.DateField()
    reviewer = MemberField(
        queryset=get_user_model().objects.all(),
        required=False,
        allow_null=True,
        help_text="A member's id: someone who owns none of the actions.",
    )


class ReviewReplanSerializer(ReviewPlanSerializer):
    method = serializers.CharField(max_length=TEXT_MAX, required=False)
    planned_on = serializers.DateField(required=False)


class ReviewPerformSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=[c for c in EffectivenessReview.Result.choices if c[0]])
    performed_on = serializers.DateField()
    notes = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")


# --- viewsets ----------------------------------------------------------------------------


class NonconformityViewSet(SignedPageMixin, RetireMixin, RegisterViewSet):
    """The nonconformity register (10.2). Its state moves through ``.../transition/``, an effectiveness
    review's result (``.../reviews/<rid>/perform/``) and the closure sign-off (``.../close/``); records are
    withdrawn with a reason (``.../retire/``), never deleted."""

    serializer_class = NonconformitySerializer
    filterset_class = NonconformityFilterSet
    sign_off_kind = CLOSURE
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    access_actions = {
        "transition": Action.EDIT,
        "close": Action.VIEW,  # who may close is the sign-off kind's rule
        "reviews": Action.VIEW,  # planning needs EDIT, checked below
        "review_replan": Action.EDIT,
        "review_perform": Action.VIEW,  # the nonconformity's editors or the planned reviewer
    }

    def get_base_queryset(self) -> QuerySet[Nonconformity]:
        return selectors.nc_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Nonconformity:
        return services.nonconformity_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: Nonconformity, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> Nonconformity:
        return services.nonconformity_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: Nonconformity, *, user: Any, expected_version: int, reason: str) -> Nonconformity:
        return services.nonconformity_withdraw(obj, user=user, expected_version=expected_version, reason=reason)

    @extend_schema(request=TransitionSerializer, responses=NonconformitySerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: Any = None) -> Response:
        """Move the nonconformity to its next state by hand; 400 with the reason when the table refuses."""
        return self.change_with(request, services.nonconformity_transition, TransitionSerializer)

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close the nonconformity: sign the version read (If-Match), stepped up (X-OTP); it is then closed."""
        return self.sign_with(request, services.nonconformity_close)

    @extend_schema(methods=["get"], responses=ReviewSerializer(many=True), filters=False)
    @extend_schema(methods=["post"], request=ReviewPlanSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def reviews(self, request: Request, pk: Any = None) -> Response:
        """The effectiveness reviews of the nonconformity; POST plans one for the current analysis."""
        nc = self.get_object()
        if request.method == "GET":
            return Response(ReviewSerializer(nc.reviews.all(), many=True).data)
        access.require(request.user, Action.EDIT, nc)
        data = validated(request, ReviewPlanSerializer, context=self.get_serializer_context())
        review = services.review_plan(nc, user=request.user, **data)
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)

    def _review(self, nc: Nonconformity, review_id: Any) -> EffectivenessReview:
        review = selectors.review_in(nc, review_id)
        if review is None:
            raise NotFound("No such effectiveness review of this nonconformity.")
        return review

    @extend_schema(request=ReviewReplanSerializer, responses=ReviewSerializer)
    @action(detail=True, methods=["patch"], url_path=r"reviews/(?P<review_id>\d+)")
    def review_replan(self, request: Request, pk: Any = None, review_id: Any = None) -> Response:
        """Change the method, date or reviewer of a review not yet performed."""
        nc = self.get_object()
        data = validated(request, ReviewReplanSerializer, context=self.get_serializer_context(), partial=True)
        review = services.review_replan(self._review(nc, review_id), user=request.user, **data)
        return Response(ReviewSerializer(review).data)

    @extend_schema(request=ReviewPerformSerializer, responses=NonconformitySerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path=r"reviews/(?P<review_id>\d+)/perform")
    def review_perform(self, request: Request, pk: Any = None, review_id: Any = None) -> Response:
        """Record the review's result (If-Match: the nonconformity's version, which the result changes)."""
        nc = self.get_object()
        review = self._review(nc, review_id)
        if not services.may_perform_review(request.user, review):
            raise PermissionDenied("Whoever may edit the nonconformity, or its planned reviewer, records the review.")
        _, version, data = self.read_for_change(request, ReviewPerformSerializer, nc)
        return self._respond(services.review_perform(review, user=request.user, expected_version=version, **data))


class CorrectiveActionViewSet(RegisterViewSet):
    """Corrective actions (10.2 c), their own register: planned under a nonconformity whose root cause is
    recorded; cancelled with a reason, never deleted. The action's owner (even a contributor) may update it."""

    serializer_class = CorrectiveActionSerializer
    filterset_class = CorrectiveActionFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[CorrectiveAction]:
        return selectors.action_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> CorrectiveAction:
        nonconformity = data.pop("nonconformity")
        return services.corrective_action_create(nonconformity, user=user, reason=reason, **data)

    def update_object(
        self, obj: CorrectiveAction, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> CorrectiveAction:
        return services.corrective_action_update(
            obj, user=user, expected_version=expected_version, reason=reason, **data
        )


def register(router: BaseRouter) -> None:
    """Register this family's viewsets on the shared /api/v1/ router."""
    router.register("nonconformities", NonconformityViewSet, basename="nonconformity")
    router.register("corrective-actions", CorrectiveActionViewSet, basename="corrective-action")
