"""API of the readiness family: ``GET /api/v1/management-systems/<id>/readiness/``.

The same evaluation as the readiness page: the verdict and, for every clause (4.1 to 10.2) and
Annex A group (A.2 to A.10), its status and each check's result. 404 for whoever is not a member.
"""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from aims import access
from aims.access import Action
from aims.readiness import evaluate
from reviews.readiness import selectors


class ReadinessFindingSerializer(serializers.Serializer):
    message = serializers.CharField()
    fix_url = serializers.CharField(help_text="The record at fault, when there is one (a path on this site).")


class ReadinessCheckSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="Stable identifier of the check, e.g. scope-approved.")
    title = serializers.CharField(help_text="What passing means.")
    severity = serializers.CharField(help_text="stage1_blocker, stage2_risk or advice.")
    ok = serializers.BooleanField()
    message = serializers.CharField(help_text="The findings in words when it fails; what it checks when it passes.")
    fix_url = serializers.CharField(help_text="Where it is fixed: the record at fault, else the register's page.")
    findings = ReadinessFindingSerializer(many=True)


class ReadinessClauseSerializer(serializers.Serializer):
    clause = serializers.CharField(help_text="A clause (4.1 ... 10.2) or an Annex A group (A.2 ... A.10).")
    title = serializers.CharField()
    status = serializers.CharField(help_text="blocked, at_risk, advice, ok or no_checks.")
    checks = ReadinessCheckSerializer(many=True)


class ReadinessSerializer(serializers.Serializer):
    ready = serializers.BooleanField(help_text="Ready for Stage 1: no failing Stage 1 blocker.")
    evaluated_at = serializers.DateTimeField()
    counts = serializers.DictField(
        child=serializers.IntegerField(), help_text="passing, blockers, stage2_risks, advice."
    )
    clauses = ReadinessClauseSerializer(many=True)


class ReadinessView(APIView):
    """Are we ready for the certification audit? Every readiness check, evaluated on the registers as they are now."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: ReadinessSerializer}, operation_id="management_systems_readiness_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        management_system = access.get_management_system(request.user, pk, Action.VIEW)
        return Response(ReadinessSerializer(selectors.readiness_document(evaluate(management_system))).data)


urlpatterns: list[URLPattern] = [
    path("management-systems/<int:pk>/readiness/", ReadinessView.as_view(), name="management-system-readiness"),
]


def register(router: BaseRouter) -> None:
    """Register the family's viewsets (the readiness is one route in ``urlpatterns``)."""
