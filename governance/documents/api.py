"""API of controlled documents and their versions.

- ``/api/v1/documents/``: the master list (history, If-Match, filters ``doc_type``, ``state``,
  ``overdue``, ``q``, ``status``); creating one creates its first draft; withdrawn with ``.../retire/``.
- ``/api/v1/document-versions/``: versions (history, If-Match, filters ``document``, ``status``);
  ``POST`` with ``{"document": id}`` starts the next version, copied from the latest; ``PATCH``
  changes a draft only (an approved version is immutable: 400); ``POST .../<id>/submit/``,
  ``.../return/`` (``{"reason"}``) and ``.../approve/`` (the sign-off: If-Match, X-OTP; 400 with
  the reasons when refused), ``.../acknowledge/`` (a member acknowledges an approved policy).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims.access import Action
from aims.api_common import (
    IF_MATCH_HEADER,
    X_OTP_HEADER,
    RegisterSerializer,
    RegisterViewSet,
    RetireMixin,
    ScopedRelatedField,
    SignedPageMixin,
    SignedStateMixin,
    SignOffRequestSerializer,
    SignOffSerializer,
    register_fields,
)
from aims.models import ManagementSystem
from governance.documents import selectors, services
from governance.documents.filters import DocumentFilterSet, DocumentVersionFilterSet
from governance.documents.forms import requirement_choices
from governance.documents.signoffs import APPROVAL
from governance.models import Document, DocumentAcknowledgement, DocumentVersion


class DocumentSerializer(RegisterSerializer):
    requirements = serializers.PrimaryKeyRelatedField(
        many=True, required=False, queryset=requirement_choices(), help_text="Clause or Annex A control ids."
    )
    requirement_keys = serializers.SlugRelatedField(source="requirements", many=True, read_only=True, slug_field="key")
    key = serializers.CharField(read_only=True, help_text="The stable key of a required document, else empty.")
    approved_version = serializers.SerializerMethodField(help_text="Number of the approved version, if any.")
    version_in_progress = serializers.SerializerMethodField(help_text="Number of a draft or a version in review.")
    review_overdue = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = register_fields(
            "key", *Document.editable_fields, "requirement_keys", "approved_version", "version_in_progress",
            "review_overdue",
        )  # fmt: skip

    def _annotated(self, document: Document) -> Document:
        if not hasattr(document, "approved_version"):
            selectors.with_versions([document])
        return document

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_approved_version(self, document: Document) -> int | None:
        version = self._annotated(document).approved_version
        return version.number if version else None

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_version_in_progress(self, document: Document) -> int | None:
        version = self._annotated(document).open_version
        return version.number if version else None

    @extend_schema_field({"type": "boolean"})
    def get_review_overdue(self, document: Document) -> bool:
        return self._annotated(document).is_overdue


class DocumentVersionSerializer(SignedStateMixin, RegisterSerializer):
    sign_off_kind = APPROVAL
    document = ScopedRelatedField(queryset=Document.objects.all(), help_text="The document this version belongs to.")
    document_identifier = serializers.CharField(source="document.identifier", read_only=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = DocumentVersion
        fields = register_fields(
            "document", "document_identifier", "number", *DocumentVersion.editable_fields, "sha256", "status",
            "approved_at", "approved_by", "superseded_at", "latest_sign_off", "signed_version", "changed_since_signed",
        )  # fmt: skip
        read_only_fields = ["number", "sha256", "status", "approved_at", "superseded_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["document"] = serializers.PrimaryKeyRelatedField(read_only=True)  # a version never moves
        else:  # a new version is copied from the latest: only the document is named
            fields["management_system"].required = False
            for name in DocumentVersion.editable_fields:
                fields[name].read_only = True
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "document" in attrs:
            attrs.setdefault("management_system", attrs["document"].management_system)
        return super().validate(attrs)


class ReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=75, help_text="Why it goes back to draft (kept in history).")


class StepSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=75, required=False, allow_blank=True, default="")


class AcknowledgementSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = DocumentAcknowledgement
        fields = ["id", "version", "user", "acknowledged_at"]
        read_only_fields = fields


class DocumentViewSet(RetireMixin, RegisterViewSet):
    """Controlled documents (7.5): the master list. A new document gets its first draft version; documents
    are withdrawn with a reason (``.../retire/``), never deleted."""

    serializer_class = DocumentSerializer
    filterset_class = DocumentFilterSet
    ordering = ("identifier", "pk")
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_base_queryset(self) -> QuerySet[Document]:
        return selectors.document_queryset(user=self.request.user)

    def paginate_queryset(self, queryset: QuerySet) -> list | None:
        page = super().paginate_queryset(queryset)
        return selectors.with_versions(page) if page is not None else None

    def create_object(self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict) -> Document:
        return services.document_create(management_system=management_system, user=user, reason=reason, **data)

    def update_object(self, obj: Document, *, user: Any, expected_version: int, reason: str, data: dict) -> Document:
        return services.document_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    def retire_object(self, obj: Document, *, user: Any, expected_version: int, reason: str) -> Document:
        return services.document_retire(obj, user=user, expected_version=expected_version, reason=reason)


class DocumentVersionViewSet(SignedPageMixin, RegisterViewSet):
    """Versions of controlled documents: a draft is edited, submitted for review, returned or approved (a
    sign-off bound to its SHA-256); an approved version never changes. POST starts the next version."""

    serializer_class = DocumentVersionSerializer
    filterset_class = DocumentVersionFilterSet
    sign_off_kind = APPROVAL
    ordering = ("document_id", "number")
    http_method_names = ["get", "post", "patch", "head", "options"]
    access_actions = {
        "submit": Action.EDIT,
        "return_to_draft": Action.EDIT,
        "approve": Action.VIEW,  # who may approve is the sign-off kind's rule
        "acknowledge": Action.VIEW,  # any member but an auditor: the service's rule
    }

    def get_base_queryset(self) -> QuerySet[DocumentVersion]:
        return selectors.version_queryset(user=self.request.user)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict
    ) -> DocumentVersion:
        return services.version_new(data["document"], user=user, reason=reason)

    def update_object(
        self, obj: DocumentVersion, *, user: Any, expected_version: int, reason: str, data: dict
    ) -> DocumentVersion:
        return services.version_update(obj, user=user, expected_version=expected_version, reason=reason, **data)

    @extend_schema(request=StepSerializer, responses=DocumentVersionSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        """Put the draft in review (If-Match)."""
        return self.change_with(request, services.version_submit, StepSerializer)

    @extend_schema(request=ReturnSerializer, responses=DocumentVersionSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"], url_path="return")
    def return_to_draft(self, request: Request, pk: Any = None) -> Response:
        """Return the version in review to draft, with the reason (If-Match)."""
        return self.change_with(request, services.version_return, ReturnSerializer)

    @extend_schema(
        request=SignOffRequestSerializer, responses={201: SignOffSerializer}, parameters=[IF_MATCH_HEADER, X_OTP_HEADER]
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        """Approve the version in review: sign the version read (If-Match), stepped up (X-OTP); 400 with the reasons
        when it cannot be approved yet, 403 when the signer may not approve it."""
        return self.sign_with(request, services.version_approve)

    @extend_schema(request=None, responses={201: AcknowledgementSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        """Acknowledge the approved policy version as the requesting member (once)."""
        version = self.get_object()
        if not services.may_acknowledge(request.user, version):
            raise PermissionDenied("Auditors read the policy; members acknowledge it.")
        ack = services.acknowledge(version, user=request.user)
        return Response(AcknowledgementSerializer(ack).data, status=status.HTTP_201_CREATED)


def register(router: BaseRouter) -> None:
    """Register the family's viewsets."""
    router.register("documents", DocumentViewSet, basename="document")
    router.register("document-versions", DocumentVersionViewSet, basename="document-version")
