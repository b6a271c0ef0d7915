"""API of the management system itself: management systems and their memberships."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import MethodNotAllowed, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from aims import access, invitations, selectors, services
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
from aims.models import ApiToken, Invitation, ManagementSystem, Membership

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
    """Management systems you are a member of. Who may create one (and becomes its owner) is a
    setting (``AIMS_MS_CREATORS``: staff by default); owners change its name, scope and status
    (``If-Match`` required)."""

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
        if not access.may_create_management_system(request.user):
            raise PermissionDenied(
                "Your account may not create management systems on this site (AIMS_MS_CREATORS). Nothing was created."
            )
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
    management_system = serializers.PrimaryKeyRelatedField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
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


class MembershipViewSet(HistoryMixin, viewsets.ModelViewSet):
    """Members of your management systems (owners also see expired ones); owners change and
    remove members (a role change or a removal ends the member's per-object edit grants).
    Members join by accepting an invitation (``/api/v1/invitations/``)."""

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

    @extend_schema(exclude=True)
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise MethodNotAllowed(
            "POST",
            detail="Members are not added directly: invite them with POST /api/v1/invitations/ "
            '{"management_system": <id>, "email": "...", "role": "..."}; they join when they accept.',
        )

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
        return Response({**self.get_serializer(membership).data, "revoked_grants": membership.revoked_grants})

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.membership_remove(self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiTokenSerializer(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active", read_only=True)
    current = serializers.SerializerMethodField(help_text="Whether this request was authenticated with this token.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "active", "current"]
        read_only_fields = fields

    def get_current(self, token: ApiToken) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, ApiToken) and auth.pk == token.pk


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Your own API tokens (never their keys): list them and revoke one. Tokens are made on your account page."""

    serializer_class = ApiTokenSerializer
    pagination_class = None
    queryset = ApiToken.objects.none()  # what the schema reads; requests get their user's tokens

    def get_queryset(self) -> QuerySet[ApiToken]:
        if not self.request.user.is_authenticated:  # the schema generator's request
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user).order_by("-created_at")

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        """Revoke one of your tokens at once (a token may revoke itself); someone else's is 404."""
        token = self.get_object()
        if token.revoked_at is None:
            services.api_token_revoke(token, actor=request.user)
        return Response(self.get_serializer(token).data)


# --- invitations -------------------------------------------------------------------------


class InvitationSerializer(serializers.ModelSerializer):
    management_system = ManagementSystemField(action=Action.MANAGE_MEMBERS)
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    accepted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    state = serializers.ChoiceField(choices=Invitation.State.choices, read_only=True)
    detail = serializers.SerializerMethodField(help_text="On create: what happens next (the same for every address).")

    class Meta:
        model = Invitation
        fields = [
            "id",
            "management_system",
            "email",
            "role",
            "access_ends_at",
            "state",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "accepted_by",
            "declined_at",
            "revoked_at",
            "detail",
        ]
        read_only_fields = ["created_at", "expires_at", "accepted_at", "declined_at", "revoked_at"]

    def get_detail(self, obj: Invitation) -> str:
        return invitations.sent_message(obj) if self.context.get("created") else ""


class InvitationViewSet(HistoryMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Invitations of the management systems whose members you manage. ``POST`` invites an
    address with a role: it receives a one-time link and joins only by accepting it, logged in
    with an account registered to that address. The answer is the same whatever the address.
    ``POST .../<id>/revoke/`` withdraws a pending invitation."""

    permission_classes = [AccessPermission]
    pagination_class = Pagination
    serializer_class = InvitationSerializer
    access_actions = {
        "list": Action.MANAGE_MEMBERS,
        "retrieve": Action.MANAGE_MEMBERS,
        "history": Action.MANAGE_MEMBERS,
        "create": Action.MANAGE_MEMBERS,
        "revoke": Action.MANAGE_MEMBERS,
    }

    def get_queryset(self) -> QuerySet[Invitation]:
        if self.action == "list":
            return filter_by_management_system(invitations.invitations_visible_to(self.request.user), self.request)
        # One invitation: found in any management system the user sees, then refused (403) unless they
        # manage its members; elsewhere it does not exist (404).
        return access.scope(self.request.user, Invitation.objects.select_related("management_system", "invited_by"))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        invitation = invitations.invitation_create(
            management_system=data["management_system"],
            actor=request.user,
            email=data["email"],
            role=data["role"],
            access_ends_at=data.get("access_ends_at"),
            absolute_url=request.build_absolute_uri,
        )
        context = {**self.get_serializer_context(), "created": True}
        return Response(InvitationSerializer(invitation, context=context).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: InvitationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: Any = None) -> Response:
        invitation = invitations.invitation_revoke(self.get_object(), actor=request.user)
        return Response(self.get_serializer(invitation).data)


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the shared /api/v1/ router."""
    router.register("management-systems", ManagementSystemViewSet, basename="management-system")
    router.register("memberships", MembershipViewSet, basename="membership")
    router.register("api-tokens", ApiTokenViewSet, basename="api-token")
    router.register("invitations", InvitationViewSet, basename="invitation")
