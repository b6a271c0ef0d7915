"""API of audit packs (and, registered from here, the evidence register).

``POST /api/v1/audit-packs/`` queues a pack (202; 503 when the job queue is unreachable:
the pack is kept, marked not queued, and ``POST .../<id>/retry/`` queues it again);
``GET .../<id>/`` shows its status, progress and digests; ``GET .../<id>/download/`` and
``.../<id>/bundle/`` serve the files.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import BaseRouter

from aims import access
from aims.access import Action
from aims.api_common import AccessPermission, ManagementSystemField
from aims.api_pagination import Pagination
from aims.limits import parse_id
from packs import selectors, services
from packs.models import AuditPack, PackDownload
from packs.views import pack_file_response


def _scope_list(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=200, help_text=help_text
    )


class AuditPackScopeSerializer(serializers.Serializer):
    """What the pack is scoped to; every list empty (or the scope left out) for the whole management system."""

    ai_systems = _scope_list('References of AI systems: only what concerns them, e.g. ["AIS-003"].')
    clauses = _scope_list('Clauses or Annex A controls: only the sections that evidence them, e.g. ["6.1", "A.6"].')
    sections = _scope_list('Section keys: only these sections, e.g. ["risks", "evidence"].')
    description = serializers.CharField(read_only=True, help_text="The scope in a sentence, as on the cover.")


class AuditPackSerializer(serializers.ModelSerializer):
    management_system = ManagementSystemField(action=Action.REQUEST_PACK)
    as_of_date = serializers.DateField(
        write_only=True, required=False, allow_null=True, help_text="The end of this day; leave out for now."
    )
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True)
    scope = AuditPackScopeSerializer(source="pack_scope", required=False)
    download_url = serializers.SerializerMethodField()
    bundle_url = serializers.SerializerMethodField()

    class Meta:
        model = AuditPack
        fields = [
            "id", "management_system", "kind", "as_of_date", "as_of", "scope", "requested_by", "requested_at", "status",
            "failure_reason", "progress", "started_at", "finished_at", "file_name", "sha256", "size", "pages",
            "bundle_name", "bundle_sha256", "bundle_size", "ledger_head", "download_url", "bundle_url",
        ]  # fmt: skip
        read_only_fields = [f for f in fields if f not in ("management_system", "kind", "as_of_date", "scope")]

    def _url(self, pack: AuditPack, name: str) -> str | None:
        if not pack.is_ready:
            return None
        return reverse(name, args=[pack.pk], request=self.context.get("request"))

    def get_download_url(self, pack: AuditPack) -> str | None:
        return self._url(pack, "audit-pack-download")

    def get_bundle_url(self, pack: AuditPack) -> str | None:
        return self._url(pack, "audit-pack-bundle")


class QueueUnavailableSerializer(serializers.Serializer):
    """The 503 answer when the job queue is unreachable: the pack is saved but not queued."""

    detail = serializers.CharField()
    code = serializers.CharField()
    retry_url = serializers.URLField()
    pack = AuditPackSerializer()


MS_QUERY = OpenApiParameter("management_system", int, OpenApiParameter.QUERY, description="Only this system's packs.")


class AuditPackViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Request audit packs, follow their rendering, download the PDF and the evidence bundle."""

    serializer_class = AuditPackSerializer
    permission_classes = [AccessPermission]
    pagination_class = Pagination
    access_actions = {
        "list": Action.REQUEST_PACK,
        "retrieve": Action.REQUEST_PACK,
        "create": Action.REQUEST_PACK,
        "download": Action.REQUEST_PACK,
        "bundle": Action.REQUEST_PACK,
        "retry": Action.REQUEST_PACK,
    }

    def get_queryset(self):
        if self.action == "list":
            queryset = selectors.pack_scope(user=self.request.user)
            ms_id = parse_id(self.request.query_params.get("management_system"))
            return queryset.filter(management_system_id=ms_id) if ms_id else queryset
        return access.scope(self.request.user, selectors.pack_all())

    @extend_schema(parameters=[MS_QUERY])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={202: AuditPackSerializer, 503: QueueUnavailableSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pack = services.pack_request(
            management_system=data["management_system"],
            user=request.user,
            kind=data.get("kind", AuditPack.Kind.FULL),
            as_of_date=data.get("as_of_date"),
            scope=data.get("pack_scope"),
        )
        return self._queued(pack)

    @extend_schema(request=None, responses={202: AuditPackSerializer, 503: QueueUnavailableSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: Any = None) -> Response:
        """Queue again a pack that failed, was not queued (the job queue was down) or whose render stopped."""
        return self._queued(services.pack_retry(self.get_object(), user=request.user))

    def _queued(self, pack: AuditPack) -> Response:
        """202 with the pack, or 503 when the job queue was unreachable (the pack is kept, not queued)."""
        location = {"Location": reverse("audit-pack-detail", args=[pack.pk], request=self.request)}
        body = self.get_serializer(pack).data
        if pack.status != AuditPack.Status.NOT_QUEUED:
            return Response(body, status=status.HTTP_202_ACCEPTED, headers=location)
        retry_url = reverse("audit-pack-retry", args=[pack.pk], request=self.request)
        detail = (
            f"The job queue is unreachable, so pack #{pack.pk} was not queued. Nothing is lost: "
            f"the request is saved; retry with POST {retry_url}."
        )
        return Response(
            {"detail": detail, "code": "queue_unavailable", "retry_url": retry_url, "pack": body},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={**location, "Retry-After": "10"},
        )

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: Any = None):
        """The pack's PDF as an attachment (404 until it is ready; recorded)."""
        return pack_file_response(self.get_object(), PackDownload.Part.PDF, user=request.user, channel="api")

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def bundle(self, request: Request, pk: Any = None):
        """The evidence bundle (ZIP: the PDF, evidence files, ledger.json, manifest.json and its signature, aims-verify.py; recorded)."""
        return pack_file_response(self.get_object(), PackDownload.Part.BUNDLE, user=request.user, channel="api")


def register(router: BaseRouter) -> None:
    """Register the audit pack viewset on the shared /api/v1/ router."""
    router.register("audit-packs", AuditPackViewSet, basename="audit-pack")
