"""API of the evidence register: multipart upload (or link), list, detail, history, download.

Evidence is immutable: there is no PUT, PATCH or DELETE. A correction is a new upload
with ``supersedes`` set to the earlier version.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import BaseRouter

from aims.access import Action
from aims.api_common import RegisterSerializer, RegisterViewSet, ScopedRelatedField, register_fields
from aims.api_parsers import JSONParser
from aims.models import ManagementSystem
from evidence import selectors, services
from evidence.filters import EvidenceFilterSet
from evidence.linkables import linkables
from evidence.models import Evidence
from evidence.upload import limit_evidence_uploads, refused_upload
from evidence.views import evidence_file_response


class EvidenceSerializer(RegisterSerializer):
    file = serializers.FileField(write_only=True, required=False, help_text="The evidence file (multipart).")
    supersedes = ScopedRelatedField(queryset=Evidence.objects.all(), required=False, allow_null=True)
    superseded = serializers.BooleanField(source="is_superseded", read_only=True, default=False)
    stale = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = register_fields(
            "title", "description", "evidence_date", "kind", "file", "url", "original_name", "content_type",
            "size", "sha256", "supersedes", "superseded", "stale", "uploaded_by", "download_url",
        )  # fmt: skip
        read_only_fields = ["kind", "original_name", "content_type", "size", "sha256", "uploaded_by"]

    def get_fields(self) -> dict[str, serializers.Field]:
        """The model's fields plus one list of linked ids per linkable kind of record (``ai_systems``, ...)."""
        fields = super().get_fields()
        for spec in linkables():
            fields[spec.key] = ScopedRelatedField(
                queryset=spec.model._default_manager.all(),
                many=True,
                required=False,
                help_text=f"Ids of the {spec.label.lower()} this evidence shows (set once, on upload).",
            )
        return fields

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_stale(self, obj: Evidence) -> bool:
        return obj.evidence_date < selectors.stale_before()

    @extend_schema_field({"type": "string", "nullable": True})
    def get_download_url(self, obj: Evidence) -> str | None:
        if obj.kind != Evidence.Kind.FILE:
            return None
        return reverse("evidence-download", args=[obj.pk], request=self.context.get("request"))


class EvidenceViewSet(RegisterViewSet):
    """Evidence files and links. Upload with multipart/form-data (``file``) or give ``url``.
    The list shows current versions; ``?all=true`` includes the superseded ones."""

    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "head", "options"]
    access_actions = {"download": Action.VIEW}
    ordering = ("-evidence_date", "-pk")

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        if request.method == "POST":
            # Before authentication: SessionAuthentication's CSRF check reads the body.
            limit_evidence_uploads(request)
        return super().initialize_request(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        request.data  # noqa: B018 -- parse the body now, through the size limit
        message = refused_upload(request._request)
        if message:
            raise serializers.ValidationError({"file": [message]})
        return super().create(request, *args, **kwargs)

    def get_base_queryset(self) -> QuerySet[Evidence]:
        return selectors.evidence_list_all(user=self.request.user)

    def paginate_queryset(self, queryset: QuerySet[Evidence]) -> list[Evidence] | None:
        page = super().paginate_queryset(queryset)
        return selectors.attach_links(page) if page is not None else None

    def get_serializer(self, *args: Any, **kwargs: Any) -> serializers.Serializer:
        instance = args[0] if args else kwargs.get("instance")
        if isinstance(instance, Evidence) and not hasattr(instance, "link_groups"):
            selectors.attach_links([instance])
        return super().get_serializer(*args, **kwargs)

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Evidence:
        upload = data.pop("file", None)
        previous = data.pop("supersedes", None)
        links = {spec.key: data.pop(spec.key, []) for spec in linkables()}
        common = {"user": user, "upload": upload, "url": data.get("url", ""), "links": links}
        if previous is not None:
            return services.evidence_supersede(
                previous, title=data["title"], description=data.get("description", ""),
                evidence_date=data["evidence_date"], **common,
            )  # fmt: skip
        return services.evidence_create(
            management_system=management_system, title=data["title"], description=data.get("description", ""),
            evidence_date=data["evidence_date"], reason=reason, **common,
        )  # fmt: skip

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY}, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def download(self, request: Request, pk: Any = None):
        """Download the evidence file as an attachment (recorded)."""
        return evidence_file_response(self.get_object(), user=request.user, channel="api")


def register(router: BaseRouter) -> None:
    """Register the evidence viewset on the shared /api/v1/ router."""
    router.register("evidence", EvidenceViewSet, basename="evidence")
