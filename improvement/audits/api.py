"""API of the audit programme (with its approval), internal audits (checks, report signature and
acknowledgement) and findings."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access, api_common
from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    ManagementSystemField,
    MemberField,
    RegisterSerializer,
    RegisterViewSet,
    RetireMixin,
    ScopedRelatedField,
    SignOffRequestSerializer,
    SignOffSerializer,
    TextLimitsMixin,
    etag_response,
    expected_version,
    register_fields,
)
from aims.models import ManagementSystem
from improvement.audits import finding_services, rules, selectors, services, signoffs
from improvement.audits.filters import AuditFilterSet, FindingFilterSet, ProgrammeFilterSet
from improvement.models import AuditCheck, AuditProgramme, Finding, InternalAudit, ProgrammeItem
from registers.models import AISystem

# --- shared ---------------------------------------------------------------------------------------


class SignedStateMixin(api_common.SignedStateMixin):
    """The latest sign-off and whether the content changed since (transitions are not changes)."""

    annotate_signed = staticmethod(signoffs.annotate_signed)


class SignedPageMixin(api_common.SignedPageMixin):
    """Annotate each page of a list with its sign-off state in a fixed number of queries."""

    annotate_signed = staticmethod(signoffs.annotate_signed)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=100, help_text="Why (kept in the history).")


class OptionalReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="A note for the history."
    )


def _requirements() -> QuerySet:
    return selectors.requirements()


# --- audit programmes -----------------------------------------------------------------------------


class ProgrammeItemSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(required=False, help_text="Keep an item's id to update it in place.")
    requirement = serializers.PrimaryKeyRelatedField(
        queryset=_requirements(), required=False, allow_null=True, help_text="A clause 4 to 10 or an Annex A control."
    )
    requirement_key = serializers.CharField(source="requirement.key", read_only=True, default=None)
    ai_system = ScopedRelatedField(queryset=AISystem.objects.all(), required=False, allow_null=True)

    class Meta:
        model = ProgrammeItem
        fields = ["id", "requirement", "requirement_key", "ai_system", "process", "planned_quarter"]


class AuditProgrammeSerializer(SignedStateMixin, RegisterSerializer):
    sign_off_kind = signoffs.PROGRAMME_APPROVAL
    owner = MemberField(allow_null=True, required=False)
    items = ProgrammeItemSerializer(many=True, required=False)

    class Meta:
        model = AuditProgramme
        fields = register_fields(
            *AuditProgramme.editable_fields,
            "status",
            "items",
            "latest_sign_off",
            "signed_version",
            "changed_since_signed",
        )
        read_only_fields = ["status"]


class CoverageRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.CharField(help_text="clause, control, system or process")
    group = serializers.CharField()
    cells = serializers.DictField(child=serializers.IntegerField(), help_text="Planned items per quarter.")
    planned = serializers.BooleanField()
    audited = serializers.BooleanField(help_text="A reported or closed audit of the programme had it in scope.")
    gap = serializers.BooleanField(help_text="A clause neither planned nor audited within the cycle.")


class CoverageSerializer(serializers.Serializer):
    quarters = serializers.ListField(child=serializers.CharField())
    rows = CoverageRowSerializer(many=True)
    gaps = serializers.SerializerMethodField()
    outside_cycle = serializers.IntegerField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_gaps(self, coverage: Any) -> list[str]:
        return [row.key for row in coverage.gaps]


class AuditProgrammeViewSet(SignedPageMixin, RetireMixin, RegisterViewSet):
    """Internal audit programmes (9.2.2) with their planned items (``items`` replaces them when given).
    ``POST .../approve/``: leadership approves (If-Match, X-OTP); a draft becomes approved.
    ``POST .../activate/`` and ``.../close/`` move it along with a reason (If-Match).
    ``GET .../coverage/``: the coverage matrix of clauses 4 to 10 by quarter of the cycle."""

    serializer_class = AuditProgrammeSerializer
    filterset_class = ProgrammeFilterSet
    sign_off_kind = signoffs.PROGRAMME_APPROVAL
    access_actions = {"approve": Action.VIEW, "activate": Action.VIEW, "close": Action.VIEW, "coverage": Action.VIEW}

    def get_base_queryset(self) -> QuerySet[AuditProgramme]:
        return selectors.programme_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> AuditProgramme:
        return services.programme_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: AuditProgramme, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> AuditProgramme:
        return services.programme_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def delete_object(self, obj: AuditProgramme, *, user: Any, expected_version: int, reason: str) -> None:
        services.programme_delete(obj, user=user, expected_version=expected_version, reason=reason)

    def retire_object(self, obj: AuditProgramme, *, user: Any, expected_version: int, reason: str) -> AuditProgramme:
        return services.programme_retire(obj, user=user, expected_version=expected_version, reason=reason)

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self.sign_with(request, services.programme_approve)

    def _move(self, request: Request, service: Any) -> Response:
        programme = self.get_object()
        if not rules.may_run_programme(request.user, programme):
            raise PermissionDenied("Owners, compliance officers and the programme's owner move a programme along.")
        return self.change_with(request, service, ReasonSerializer, programme)

    @extend_schema(request=ReasonSerializer, responses={200: AuditProgrammeSerializer}, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: Any = None) -> Response:
        return self._move(request, services.programme_activate)

    @extend_schema(request=ReasonSerializer, responses={200: AuditProgrammeSerializer}, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        return self._move(request, services.programme_close)

    @extend_schema(responses={200: CoverageSerializer}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def coverage(self, request: Request, pk: Any = None) -> Response:
        coverage = selectors.coverage_of(self.get_object())
        if coverage is None:
            return Response({"quarters": [], "rows": [], "gaps": [], "outside_cycle": 0})
        return Response(CoverageSerializer(coverage).data)


# --- internal audits ---------------------------------------------------------------------------------


class AuditCheckSerializer(TextLimitsMixin, serializers.ModelSerializer):
    requirement_key = serializers.CharField(source="requirement.key", read_only=True)
    in_scope = serializers.SerializerMethodField()

    class Meta:
        model = AuditCheck
        fields = ["id", "requirement", "requirement_key", "in_scope", "tested", "sample", "result", "notes", "version"]
        read_only_fields = ["requirement", "version"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_in_scope(self, check: AuditCheck) -> bool:
        scope = self.context.get("scope")
        if scope is None:
            scope = {r.pk for r in check.audit.scope_requirements.all()}
        return check.requirement_id in scope


class InternalAuditSerializer(SignedStateMixin, RegisterSerializer):
    sign_off_kind = signoffs.REPORT
    scope_requirements = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=_requirements())
    scope_keys = serializers.SlugRelatedField(source="scope_requirements", many=True, read_only=True, slug_field="key")
    team = MemberField(many=True, required=False)
    lead_auditor = MemberField(allow_null=True, required=False)
    independence_override = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Why an auditor who owns something in scope audits it anyway (owners and compliance officers only).",
    )
    checks = serializers.SerializerMethodField()
    findings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = InternalAudit
        fields = register_fields(
            *InternalAudit.editable_fields,
            "scope_keys",
            "independence_override",
            "status",
            "checks",
            "findings",
            "latest_sign_off",
            "signed_version",
            "changed_since_signed",
        )
        read_only_fields = ["status"]

    @extend_schema_field(AuditCheckSerializer(many=True))
    def get_checks(self, audit: InternalAudit) -> list[dict]:
        scope = {r.pk for r in audit.scope_requirements.all()}
        return AuditCheckSerializer(audit.checks.all(), many=True, context={**self.context, "scope": scope}).data


class InternalAuditViewSet(SignedPageMixin, RetireMixin, RegisterViewSet):
    """Internal audits (9.2): scope, auditors (independence checked), checks and the report.
    ``POST .../start/`` starts a planned audit (If-Match). ``GET .../checks/`` lists its checks;
    ``PATCH .../checks/<id>/`` records one (If-Match: the check's version).
    ``POST .../sign-report/``: the lead auditor signs the report; ``POST .../acknowledge/``:
    leadership or the programme's owner acknowledges it (both If-Match, X-OTP)."""

    serializer_class = InternalAuditSerializer
    filterset_class = AuditFilterSet
    sign_off_kind = signoffs.REPORT
    access_actions = {
        "start": Action.EDIT,
        "sign_report": Action.VIEW,
        "acknowledge": Action.VIEW,
        "checks": Action.VIEW,
        "check": Action.VIEW,
    }

    def get_base_queryset(self) -> QuerySet[InternalAudit]:
        return selectors.audit_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> InternalAudit:
        return services.internal_audit_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: InternalAudit, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> InternalAudit:
        return services.internal_audit_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def delete_object(self, obj: InternalAudit, *, user: Any, expected_version: int, reason: str) -> None:
        services.internal_audit_delete(obj, user=user, expected_version=expected_version, reason=reason)

    def retire_object(self, obj: InternalAudit, *, user: Any, expected_version: int, reason: str) -> InternalAudit:
        return services.internal_audit_withdraw(obj, user=user, expected_version=expected_version, reason=reason)

    @extend_schema(
        request=OptionalReasonSerializer, responses={200: InternalAuditSerializer}, parameters=[IF_MATCH_HEADER]
    )
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: Any = None) -> Response:
        return self.change_with(request, services.internal_audit_start, OptionalReasonSerializer)

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"], url_path="sign-report")
    def sign_report(self, request: Request, pk: Any = None) -> Response:
        return self.sign_with(request, services.audit_report_sign)

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        return self.sign_with(request, services.audit_report_acknowledge)

    @extend_schema(responses={200: AuditCheckSerializer(many=True)}, filters=False)
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def checks(self, request: Request, pk: Any = None) -> Response:
        audit = self.get_object()
        scope = {r.pk for r in audit.scope_requirements.all()}
        return Response(AuditCheckSerializer(audit.checks.all(), many=True, context={"scope": scope}).data)

    @extend_schema(methods=["GET"], responses={200: AuditCheckSerializer}, filters=False)
    @extend_schema(
        methods=["PATCH"],
        request=AuditCheckSerializer,
        responses={200: AuditCheckSerializer},
        parameters=[IF_MATCH_HEADER],
    )
    @action(
        detail=True,
        methods=["get", "patch"],
        url_path=r"checks/(?P<check_id>[0-9]+)",
        pagination_class=None,
        filter_backends=[],
    )
    def check(self, request: Request, pk: Any = None, check_id: Any = None) -> Response:
        audit = self.get_object()
        check = selectors.check_of(audit, check_id)
        if check is None:
            raise Http404("No such check.")
        if request.method == "PATCH":
            access.require(request.user, Action.EDIT, audit)
            version = expected_version(request, check.version)
            body = AuditCheckSerializer(check, data=request.data, partial=True)
            body.is_valid(raise_exception=True)
            check = services.check_record(
                check,
                user=request.user,
                expected_version=version,
                reason=str(request.data.get("change_reason", "")),
                **body.validated_data,
            )
        scope = {r.pk for r in InternalAudit.objects.get(pk=audit.pk).scope_requirements.all()}
        return etag_response(AuditCheckSerializer(check, context={"scope": scope}).data, check.version)


# --- findings -----------------------------------------------------------------------------------------


class FindingSerializer(RegisterSerializer):
    # Members of an audit team who are contributors record findings too: the viewset decides.
    management_system = ManagementSystemField(action=Action.VIEW)
    requirements = serializers.PrimaryKeyRelatedField(many=True, required=False, queryset=_requirements())
    requirement_keys = serializers.SlugRelatedField(source="requirements", many=True, read_only=True, slug_field="key")
    nonconformity_reference = serializers.CharField(source="nonconformity.reference", read_only=True, default=None)

    class Meta:
        model = Finding
        fields = register_fields(
            *Finding.editable_fields, "requirement_keys", "nonconformity", "nonconformity_reference"
        )
        read_only_fields = ["nonconformity"]


class FindingViewSet(RetireMixin, RegisterViewSet):
    """Findings (9.2, 10.2): a major or minor one creates its nonconformity in the same request, linked both
    ways (``nonconformity``). The audit's team records and edits the findings of its audit."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
    access_actions = {"create": Action.VIEW, "update": Action.VIEW, "partial_update": Action.VIEW}

    def get_base_queryset(self) -> QuerySet[Finding]:
        return selectors.finding_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Finding:
        if not rules.may_record_finding(user, management_system, data.get("audit")):
            raise PermissionDenied("Owners, compliance officers and the audit's team record its findings.")
        return finding_services.finding_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(
        self, obj: Finding, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> Finding:
        if not rules.may_edit_finding(user, obj):
            raise PermissionDenied("Owners, compliance officers and the audit's team change its findings.")
        return finding_services.finding_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def delete_object(self, obj: Finding, *, user: Any, expected_version: int, reason: str) -> None:
        finding_services.finding_delete(obj, user=user, expected_version=expected_version, reason=reason)

    def retire_object(self, obj: Finding, *, user: Any, expected_version: int, reason: str) -> Finding:
        return finding_services.finding_withdraw(obj, user=user, expected_version=expected_version, reason=reason)


def register(router: BaseRouter) -> None:
    """Register this family's viewsets on the shared /api/v1/ router."""
    router.register("audit-programmes", AuditProgrammeViewSet, basename="audit-programme")
    router.register("internal-audits", InternalAuditViewSet, basename="internal-audit")
    router.register("findings", FindingViewSet, basename="finding")
