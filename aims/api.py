"""API of the management system itself: management systems and their memberships."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access, selectors, services
from aims.access import Action
from aims.api_common import (
    CHANGE_REASON_HEADER,
    IF_MATCH_HEADER,
    AccessPermission,
    ChangeReasonMixin,
    HistoryMixin,
    ManagementSystemField,
    Pagination,
    TextLimitsMixin,
    change_reason,
    etag,
    expected_version,
    filter_by_management_system,
)
from aims.models import ManagementSystem, Membership

# --- management systems ------------------------------------------------------------------


class ManagementSystemSerializer(ChangeReasonMixin, TextLimitsMixin, serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="Your role in this management system.")

    class Meta:
        model = ManagementSystem
        fields = [
            "id",
            "organisation",
            "name",
            "scope_statement",
            "status",
            "role",
            "version",
            "created_at",
            "updated_at",
            "change_reason",
        ]
        read_only_fields = ["organisation", "version"]

    def get_role(self, obj: ManagementSystem) -> str | None:
        return access.role_of(self.context["request"].user, obj)


class ManagementSystemCreateSerializer(TextLimitsMixin, serializers.ModelSerializer):
    class Meta:
        model = ManagementSystem
        fields = ["organisation", "name", "scope_statement"]


class ManagementSystemViewSet(HistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Management systems you are a member of. Anyone may create one and becomes its owner;
    owners change its name, scope and status (``If-Match`` required)."""

    permission_classes = [AccessPermission]
    pagination_class = Pagination
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Owners administer the management system itself, as they administer its members.
    access_actions = {"partial_update": Action.MANAGE_MEMBERS}

    def get_queryset(self) -> QuerySet[ManagementSystem]:
        return access.visible_management_systems(self.request.user).order_by("organisation", "name", "pk")

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return ManagementSystemCreateSerializer if self.action == "create" else ManagementSystemSerializer

    def _respond(self, obj: ManagementSystem, status_code: int = status.HTTP_200_OK) -> Response:
        response = Response(
            ManagementSystemSerializer(obj, context=self.get_serializer_context()).data, status=status_code
        )
        response["ETag"] = etag(obj.version)
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._respond(self.get_object())

    @extend_schema(request=ManagementSystemCreateSerializer, responses={201: ManagementSystemSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ms = services.management_system_create(user=request.user, **serializer.validated_data)
        return self._respond(ms, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH_HEADER, CHANGE_REASON_HEADER])
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ms = self.get_object()
        version = expected_version(request, ms.version)
        serializer = self.get_serializer(ms, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("change_reason", None)
        ms = services.management_system_update(
            ms,
            user=request.user,
            expected_version=version,
            reason=change_reason(request, "Changed through the API"),
            **data,
        )
        return self._respond(ms)


# --- memberships -------------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    management_system = ManagementSystemField(action=Action.MANAGE_MEMBERS)
    username = serializers.CharField(
        source="user.username", max_length=254, help_text="On create: the username or e-mail of an existing user."
    )
    granted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "management_system",
            "user",
            "username",
            "role",
            "expires_at",
            "is_expired",
            "granted_by",
            "granted_at",
        ]
        read_only_fields = ["user", "granted_at"]

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None:  # a membership never changes user or management system
            fields["management_system"] = serializers.PrimaryKeyRelatedField(read_only=True)
            fields["username"] = serializers.CharField(source="user.username", read_only=True)
        return fields


def _as_username_error(exc: DjangoValidationError) -> DjangoValidationError:
    """Report the services' ``user`` errors on the API's ``username`` field."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return DjangoValidationError({("username" if key == "user" else key): value for key, value in errors.items()})


class MembershipViewSet(HistoryMixin, viewsets.ModelViewSet):
    """Members of your management systems (owners also see expired ones); owners add, change
    and remove members."""

    permission_classes = [AccessPermission]
    pagination_class = Pagination
    serializer_class = MembershipSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    access_actions = {"partial_update": Action.MANAGE_MEMBERS, "destroy": Action.MANAGE_MEMBERS}

    def get_queryset(self) -> QuerySet[Membership]:
        user = self.request.user
        queryset = selectors.memberships_visible_to(user)
        if self.action == "list":
            queryset = filter_by_management_system(queryset, self.request)
        return queryset

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            member = services.find_user(data["user"]["username"])
            membership = services.membership_add(
                management_system=data["management_system"],
                actor=request.user,
                user=member,
                role=data["role"],
                expires_at=data.get("expires_at"),
            )
        except DjangoValidationError as exc:
            raise _as_username_error(exc) from exc
        return Response(self.get_serializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        membership = self.get_object()
        serializer = self.get_serializer(membership, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        membership = services.membership_update(
            membership,
            actor=request.user,
            role=data.get("role", membership.role),
            expires_at=data["expires_at"] if "expires_at" in data else membership.expires_at,
        )
        return Response(self.get_serializer(membership).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.membership_remove(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the shared /api/v1/ router."""
    router.register("management-systems", ManagementSystemViewSet, basename="management-system")
    router.register("memberships", MembershipViewSet, basename="membership")
