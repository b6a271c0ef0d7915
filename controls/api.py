"""API of the control catalog, the Statement of Applicability, sign-offs and ledger verification.

- ``GET /api/v1/controls/``: the Annex A catalog (read-only).
- ``GET /api/v1/soa/?management_system=<id>``, ``GET|PATCH /api/v1/soa/<id>/`` (``If-Match``),
  ``GET /api/v1/soa/<id>/history/``: SoA rows; rows are created with the management system,
  never through the API, and never deleted. The list gives each row ``ai_systems_count``; a
  row's own URL also lists its ``ai_systems`` (ids), so the list does not grow with the links.
- ``GET /api/v1/management-systems/<id>/soa-version/``: the SoA's current version token (also its
  ``ETag``) and approval state.
- ``POST /api/v1/management-systems/<id>/approve-soa/``: approve the SoA as read: ``If-Match`` with
  the ETag of ``soa-version`` (428 without it, 412 if any row changed since).
- ``GET /api/v1/sign-offs/``: the sign-off chain(s) the user may read.
- ``GET /api/v1/management-systems/<id>/verify/``: ``{"ok", "checked", "first_broken", "signed", "unsigned", "anchor"}``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from aims import access, ledger
from aims.access import Action
from aims.api_common import (
    X_OTP_HEADER,
    AccessPermission,
    RegisterSerializer,
    RegisterViewSet,
    SignOffRequestSerializer,
    SignOffSerializer,
    etag,
    filter_by_management_system,
    if_match_token,
    register_fields,
    step_up,
)
from aims.api_pagination import Pagination
from aims.models import SignOff
from controls import selectors, services
from controls.models import Applicability, Control
from controls.signoffs import SOA

# --- serializers -------------------------------------------------------------------------


class ControlSerializer(serializers.ModelSerializer):
    framework = serializers.CharField(source="framework.key", read_only=True)
    area = serializers.CharField(source="area.key", read_only=True)
    area_title = serializers.CharField(source="area.title", read_only=True)
    objective = serializers.CharField(source="objective.key", read_only=True, default=None)
    objective_summary = serializers.CharField(source="objective.summary", read_only=True, default=None)

    class Meta:
        model = Control
        fields = [
            "id",
            "framework",
            "key",
            "title",
            "area",
            "area_title",
            "objective",
            "objective_summary",
            "summary",
            "documented_information",
            "documented_information_what",
        ]


class ApplicabilitySerializer(RegisterSerializer):
    """One SoA row, with every AI system it links (``ai_systems``, ids) and how many (``ai_systems_count``)."""

    control = serializers.PrimaryKeyRelatedField(read_only=True)
    control_key = serializers.CharField(source="control.key", read_only=True)
    control_title = serializers.CharField(source="control.title", read_only=True)
    area = serializers.CharField(source="control.area.key", read_only=True)
    owner_username = serializers.CharField(source="owner.username", read_only=True, default=None)
    ai_systems_count = serializers.SerializerMethodField(help_text="How many AI systems the row links.")

    class Meta:
        model = Applicability
        fields = register_fields(
            "control",
            "control_key",
            "control_title",
            "area",
            "applicable",
            "justification",
            "implementation_status",
            "owner",
            "owner_username",
            "implementation_notes",
            "ai_systems",
            "ai_systems_count",
            "last_reviewed",
        )

    @extend_schema_field(OpenApiTypes.INT)
    def get_ai_systems_count(self, row: Applicability) -> int:
        counted = getattr(row, "ai_systems_count", None)  # annotated by the selector
        return counted if counted is not None else row.ai_systems.count()


class ApplicabilityListSerializer(ApplicabilitySerializer):
    """An SoA row in the list: ``ai_systems_count`` without the ids (GET the row for ``ai_systems``)."""

    class Meta(ApplicabilitySerializer.Meta):
        fields = [name for name in ApplicabilitySerializer.Meta.fields if name != "ai_systems"]


class ApprovalSerializer(SignOffRequestSerializer):
    confirmed = serializers.BooleanField(help_text="Must be true: the approver confirms the SoA as it stands.")


IF_MATCH_SOA_VERSION = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of GET .../soa-version/: the SoA version you read and approve.",
)

VERIFY_RESPONSE = inline_serializer(
    "LedgerVerification",
    {
        "ok": serializers.BooleanField(),
        "checked": serializers.IntegerField(),
        "first_broken": serializers.JSONField(allow_null=True),
        "signed": serializers.IntegerField(help_text="Sign-offs whose digest carries the register's signature."),
        "unsigned": serializers.IntegerField(help_text="Sign-offs made before signing existed (no signature)."),
        "anchor": serializers.JSONField(
            allow_null=True, help_text="The latest anchor of the chain written outside the database, if any."
        ),
    },
)

# --- viewsets and views ------------------------------------------------------------------


class ControlViewSet(viewsets.ReadOnlyModelViewSet):
    """The requirement catalogues, in order: ISO/IEC 42001 Annex A (``?framework=iso42001-2023-annex-a``) and
    clauses 4 to 10 (``?framework=iso42001-2023-clauses``), each clause with the documented information it requires."""

    serializer_class = ControlSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[Control]:
        return selectors.control_list(framework_key=self.request.query_params.get("framework") or None)


class ApplicabilityViewSet(RegisterViewSet):
    """Statement of Applicability rows: read, and change (PATCH with If-Match) for officers.

    Rows exist for every control from the moment the management system exists, so there is no
    create or delete. ``clean()`` rules apply: a decision needs a justification and an excluded
    control is ``not_applicable``.
    """

    serializer_class = ApplicabilitySerializer
    http_method_names = ["get", "patch", "head", "options"]
    ordering = ("management_system_id", "control__position")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        # The list names how many AI systems each row links, not which: its size and time do
        # not grow with the links. A row's own URL lists them.
        return ApplicabilityListSerializer if self.action == "list" else ApplicabilitySerializer

    def get_base_queryset(self) -> QuerySet[Applicability]:
        if self.action == "list":
            return access.scope(self.request.user, selectors.soa_api_list_queryset())
        return access.scope(self.request.user, selectors.soa_api_row_queryset())

    def update_object(
        self, obj: Applicability, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]
    ) -> Applicability:
        return services.applicability_update(obj, user=user, expected_version=expected_version, reason=reason, **data)


class SignOffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Sign-offs (append-only): filter with ``?management_system=`` and ``?kind=``."""

    serializer_class = SignOffSerializer
    permission_classes = [AccessPermission]
    pagination_class = Pagination

    def get_queryset(self) -> QuerySet[SignOff]:
        qs = access.scope(self.request.user, SignOff.objects.select_related("signer", "subject_type"))
        if self.action == "list":
            qs = filter_by_management_system(qs, self.request)
            if self.request.query_params.get("kind"):
                qs = qs.filter(kind=self.request.query_params["kind"])
        return qs.order_by("management_system_id", "sequence")


SOA_VERSION_RESPONSE = inline_serializer(
    "SoAVersion",
    {
        "version": serializers.CharField(help_text="Send it back as If-Match when approving."),
        "rows": serializers.IntegerField(),
        "approved": serializers.BooleanField(help_text="Approved at least once."),
        "changed_since_approved": serializers.BooleanField(),
        "latest_approval": serializers.IntegerField(allow_null=True, help_text="Id of the latest approval sign-off."),
    },
)


class SoAVersionView(APIView):
    """The version of the SoA as it stands (also the ETag): what an approval must name in If-Match."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: SOA_VERSION_RESPONSE})
    def get(self, request: Request, pk: int) -> Response:
        management_system = access.get_management_system(request.user, pk, Action.VIEW)
        token = ledger.version_token(SOA, management_system)
        state = ledger.sign_off_status(SOA, management_system)
        body = {
            "version": token,
            "rows": Applicability.objects.filter(management_system=management_system).count(),
            "approved": state.latest is not None,
            "changed_since_approved": state.changed_since,
            "latest_approval": state.latest.pk if state.latest else None,
        }
        response = Response(body)
        response["ETag"] = etag(token)
        return response


class ApproveSoAView(APIView):
    """Approve the management system's SoA as read (owner or leadership); If-Match names the version read."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=ApprovalSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_SOA_VERSION, X_OTP_HEADER]
    )
    def post(self, request: Request, pk: int) -> Response:
        management_system = access.get_management_system(request.user, pk, Action.SIGN_OFF)
        token = if_match_token(request)
        body = ApprovalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        signoff = services.soa_approve(
            management_system=management_system,
            user=request.user,
            expected_token=token,
            verification=step_up(request),
            **body.validated_data,
        )
        return Response(SignOffSerializer(signoff).data, status=status.HTTP_201_CREATED)


class VerifyLedgerView(APIView):
    """Recompute the digests, chain links and signatures of the management system's sign-offs; check its anchors."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: VERIFY_RESPONSE})
    def get(self, request: Request, pk: int) -> Response:
        management_system = access.get_management_system(request.user, pk, Action.VIEW)
        return Response(ledger.verify(management_system))


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the shared /api/v1/ router."""
    router.register("controls", ControlViewSet, basename="control")
    router.register("soa", ApplicabilityViewSet, basename="soa")
    router.register("sign-offs", SignOffViewSet, basename="sign-off")


urlpatterns = [
    path("management-systems/<int:pk>/soa-version/", SoAVersionView.as_view(), name="management-system-soa-version"),
    path("management-systems/<int:pk>/approve-soa/", ApproveSoAView.as_view(), name="management-system-approve-soa"),
    path("management-systems/<int:pk>/verify/", VerifyLedgerView.as_view(), name="management-system-verify"),
]
