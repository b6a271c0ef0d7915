"""API of the gateway policy.

- ``/api/v1/gateway-policies/``: the versions of each management system's policy, newest first, each
  with its rules in order (``rules``, read only here), its status and its approval. ``POST`` with
  ``{"management_system": id, "change_summary"?}`` starts the next draft, a copy of the version in
  force; ``PATCH`` (If-Match) changes a draft's settings (an approved version never changes: 400);
  ``POST .../<id>/submit/`` (If-Match) submits the draft for approval, ``.../return/`` and
  ``.../withdraw/`` (If-Match, ``{"reason"}``) move it back or give it up, and ``.../sign/``
  (If-Match, X-OTP) is the approval sign-off. History at ``.../<id>/history/``. Never deleted.
- ``/api/v1/gateway-policy-rules/``: the rules, filter ``?policy=<id>``; ``POST`` with ``{"policy": id,
  ...}`` adds one to a draft (last, unless ``order`` says), ``PATCH`` changes it and ``DELETE`` removes
  it (If-Match), on a draft only.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    RegisterSerializer,
    RegisterViewSet,
    ScopedRelatedField,
    SignedPageMixin,
    SignedStateMixin,
    SignOffRequestSerializer,
    SignOffSerializer,
    register_fields,
)
from aims.filters import RecordChoiceFilter, RegisterFilterSet
from aims.models import ManagementSystem
from gateway.models import PolicyRule, PolicyVersion
from gateway.policy import selectors, services
from gateway.policy.signoffs import APPROVAL, annotate_approvals


class PolicyRuleSerializer(RegisterSerializer):
    """One rule of a policy version: what it matches (empty: anything) and its outcome."""

    policy = ScopedRelatedField(queryset=PolicyVersion.objects.all(), help_text="The draft version the rule is in.")
    in_words = serializers.SerializerMethodField(help_text="The rule in words.")

    class Meta:
        model = PolicyRule
        fields = register_fields("policy", *PolicyRule.editable_fields, "in_words")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["management_system"].required = False  # the policy's
        if self.instance is not None:
            fields["policy"] = serializers.PrimaryKeyRelatedField(read_only=True)  # a rule never moves
        return fields

    def get_in_words(self, rule: PolicyRule) -> str:
        return selectors.rule_in_words(rule)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "policy" in attrs:
            attrs.setdefault("management_system", attrs["policy"].management_system)
        return super().validate(attrs)


class NestedRuleSerializer(PolicyRuleSerializer):
    class Meta(PolicyRuleSerializer.Meta):
        read_only_fields = PolicyRuleSerializer.Meta.fields


class PolicyVersionSerializer(SignedStateMixin, RegisterSerializer):
    """A version of the gateway policy with its rules in order; decisions name it by ``label`` (policy@N)."""

    sign_off_kind = APPROVAL
    annotate_signed = staticmethod(annotate_approvals)
    label = serializers.CharField(read_only=True, help_text="How decisions name the version: policy@N.")
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True, default=None)
    rules = NestedRuleSerializer(many=True, read_only=True)

    class Meta:
        model = PolicyVersion
        fields = register_fields(
            "number", "label", "status", *PolicyVersion.editable_fields, "approved_at", "approved_by", "superseded_at",
            "withdrawn_reason", "rules", "latest_sign_off", "signed_version", "changed_since_signed",
        )  # fmt: skip
        read_only_fields = ["number", "status", "approved_at", "superseded_at", "withdrawn_reason"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is None:  # a new draft is a copy of the version in force: only the summary is given
            for name in PolicyVersion.editable_fields:
                if name != "change_summary":
                    fields[name].read_only = True
        return fields

    def validate_entity_actions(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError('Give an object of entity type to action: {"EMAIL_ADDRESS": "mask"}.')
        return value


class PolicyReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why (kept in history).")


class PolicyStepSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=75, required=False, allow_blank=True, default="")


class PolicyRuleFilterSet(RegisterFilterSet):
    policy = RecordChoiceFilter(PolicyVersion, label="Policy version")

    class Meta:
        model = PolicyRule
        fields: list[str] = []


class PolicyVersionViewSet(SignedPageMixin, RegisterViewSet):
    """Versions of the gateway policy: drafted, submitted, approved by a sign-off (leadership or the AIMS
    manager), superseded; an approved version never changes. POST starts the next draft."""

    serializer_class = PolicyVersionSerializer
    sign_off_kind = APPROVAL
    annotate_signed = staticmethod(annotate_approvals)
    ordering = ("management_system_id", "-number")
    http_method_names = ["get", "post", "patch", "head", "options"]
    access_actions = {
        "submit": Action.EDIT,
        "return_to_draft": Action.EDIT,
        "withdraw": Action.EDIT,
        "sign": Action.VIEW,  # who may approve is the sign-off kind's rule
    }

    def get_base_queryset(self) -> QuerySet[PolicyVersion]:
        return selectors.version_queryset(user=self.request.user)

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Any:
        return services.policy_draft_start(
            management_system=management_system, user=user, reason=reason,
            change_summary=data.get("change_summary", ""),
        )  # fmt: skip

    def update_object(self, obj: PolicyVersion, *, user: Any, expected_version: int, reason: str, data: dict) -> Any:
        return services.policy_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    @extend_schema(request=PolicyStepSerializer, responses=PolicyVersionSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Submit the draft for approval (If-Match)."""
        return self.change_with(request, services.policy_submit, PolicyStepSerializer)

    @extend_schema(request=PolicyReasonSerializer, responses=PolicyVersionSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_draft(self, request: Request, pk: Any = None) -> Response:
        """Return the version awaiting approval to draft, with the reason (If-Match)."""
        return self.change_with(request, services.policy_return, PolicyReasonSerializer)

    @extend_schema(request=PolicyReasonSerializer, responses=PolicyVersionSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: Any = None) -> Response:
        """Give up the draft or the version awaiting approval, with the reason (If-Match)."""
        return self.change_with(request, services.policy_withdraw, PolicyReasonSerializer)

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: Any = None) -> Response:
        """Approve the version awaiting approval: sign the version read (If-Match), stepped up (X-OTP); 400 with
        the reasons when it cannot be approved, 403 when the signer may not approve it."""
        return self.sign_with(request, services.policy_approve)


class PolicyRuleViewSet(RegisterViewSet):
    """Rules of gateway policy versions: added, changed and removed while their version is a draft."""

    serializer_class = PolicyRuleSerializer
    filterset_class = PolicyRuleFilterSet
    ordering = ("policy_id", "order", "pk")
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_base_queryset(self) -> QuerySet[PolicyRule]:
        return selectors.rule_queryset(user=self.request.user)

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Any:
        policy = data.pop("policy")
        return services.rule_add(policy, user=user, reason=reason, **data)

    def update_object(self, obj: PolicyRule, *, user: Any, expected_version: int, reason: str, data: dict) -> Any:
        return services.rule_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def delete_object(self, obj: PolicyRule, *, user: Any, expected_version: int, reason: str) -> None:
        services.rule_remove(obj, user=user, expected_version=expected_version, reason=reason)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("gateway-policies", PolicyVersionViewSet, basename="gateway-policy")
    router.register("gateway-policy-rules", PolicyRuleViewSet, basename="gateway-policy-rule")
