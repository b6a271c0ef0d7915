"""Shared API building blocks; every area's ``api.py`` builds its endpoints from these.

- ``AccessPermission``: the one permission class of the API. Unauthenticated -> 401; every
  object goes through ``aims.access.require`` (invisible -> 404, refused -> 403).
  A viewset names the access action of a custom action in ``access_actions``.
- ``ManagementSystemField``, ``ScopedRelatedField``, ``MemberField``: id fields that only
  resolve what the requesting user may see, so ids of other management systems leak nothing.
- ``RegisterSerializer``: base serializer of ``RegisterModel`` rows (management system on
  create, optional ``change_reason``, links must stay inside one management system).
- ``RegisterViewSet``: list/retrieve/create/update/delete/history of one register, scoped,
  paginated, filterable by ``?management_system=<id>`` and by the list page's filters (its
  ``filterset_class``, see ``aims.filters``), written through services with the acting user
  and a change reason, with optimistic concurrency (``ETag``/``If-Match``).
- ``HistoryMixin``: ``GET .../<id>/history/`` for any model with simple-history, paginated
  (``HistoryPagination``: one page of versions in a fixed number of queries).
- ``RetireMixin``: ``POST .../<id>/retire/`` with a ``reason`` and ``If-Match``, for records
  that are retired (or withdrawn) rather than deleted once anything refers to them.
- ``RegisterViewSet.change_with`` / ``sign_with``: the body of a custom action that moves a
  record (If-Match, a request body, a service, the record back) or signs it (201 with the sign-off).
- ``SignedStateMixin`` / ``SignedPageMixin``: a record's latest sign-off of one kind, on the
  serializer, annotated per page of a list.

Errors (the exception handler, 409, 412 and 428) are in ``aims.api_errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import InvalidPage
from django.db import models, transaction
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from aims import access, ledger, mfa, services
from aims.access import Action
from aims.api_errors import PreconditionFailed, PreconditionRequired
from aims.api_pagination import Pagination
from aims.history import HISTORY_PAGE_SIZE, versions_on
from aims.limits import JSON_MAX_DEPTH, TEXT_MAX, json_problem, parse_id
from aims.models import ManagementSystem, RegisterModel, RetirableModel, SignOff
from aims.services import REASON_MAX

# --- optimistic concurrency --------------------------------------------------------------


def etag(version: int | str) -> str:
    """The ETag of a version: ``"3"``."""
    return f'"{version}"'


def expected_version(request: Request, current: int) -> int:
    """Read the version from If-Match; 428 when missing, 412 when it is not the current one."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    tag = header.removeprefix("W/").strip().strip('"')
    version = parse_id(tag)
    if version is None:
        raise PreconditionFailed(
            f'If-Match must be the ETag of the record (for example "{current}"); got {header[:40]}.'
        )
    if version != current:
        raise PreconditionFailed(
            f"The record was changed by someone else since you read it (you had version {tag}, it is now "
            f"version {current}). Nothing was saved: read it again, then apply your change."
        )
    return version


def if_match_token(request: Request) -> str:
    """The opaque version token in If-Match (a sign-off's version, say); 428 when missing."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired(
            "This sign-off needs an If-Match header with the ETag of the version you read (for example "
            'If-Match: "3f2a..."), so that nobody signs a version they did not see. Nothing was signed.'
        )
    return header.removeprefix("W/").strip().strip('"')


def step_up(request: Request) -> Any:
    """The second-factor check of a sign-off made through the API: the ``X-OTP`` header.

    It holds the current code of the signer's authenticator (or a recovery code); a member
    who has none and is not required to have one sends their password. Returned as a check
    the ledger runs inside the signing transaction.
    """
    answer = request.headers.get("X-OTP", "")
    return lambda: mfa.verify_step_up(request.user, answer, field="X-OTP")


def validated(request: Request, serializer_class: type[serializers.Serializer], **kwargs: Any) -> dict[str, Any]:
    """The request body checked by ``serializer_class`` (400 with the reasons otherwise)."""
    body = serializer_class(data=request.data, **kwargs)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def etag_response(data: Any, version: int | str, status_code: int = status.HTTP_200_OK) -> Response:
    """A response carrying ``ETag: "<version>"`` (a child row's own version, say)."""
    response = Response(data, status=status_code)
    response["ETag"] = etag(version)
    return response


X_OTP_HEADER = OpenApiParameter(
    "X-OTP",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="The current code of your authenticator app (or a recovery code); your password if you have no "
    "second factor and your role requires none. Asked at every sign-off.",
)


class SignOffRequestSerializer(serializers.Serializer):
    """The body of a sign-off: the statement, and the four-eyes override reason when the signer made the last change."""

    statement = serializers.CharField(max_length=2000, help_text="What you sign, and why.")
    override_reason = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text="Needed only when you made the last change to what you sign: why you sign it yourself.",
    )
    job_title = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        help_text="Your job title in this organisation: needed on your first signature, then remembered.",
    )


def change_reason(request: Request, default: str) -> str:
    """The change reason from the ``change_reason`` field or the ``X-Change-Reason`` header."""
    body = request.data.get("change_reason", "") if isinstance(request.data, Mapping) else ""
    reason = str(body or request.headers.get("X-Change-Reason", "")).strip()
    return reason or default


CHANGE_REASON_HEADER = OpenApiParameter(
    "X-Change-Reason", str, OpenApiParameter.HEADER, description="Why the change is made (kept in history)."
)
IF_MATCH_HEADER = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, required=True, description='The ETag you read, e.g. "3".'
)
MANAGEMENT_SYSTEM_QUERY = OpenApiParameter(
    "management_system", int, OpenApiParameter.QUERY, description="Only rows of this management system."
)


# --- access ------------------------------------------------------------------------------

DEFAULT_ACCESS_ACTIONS: dict[str, Action] = {
    "list": Action.VIEW,
    "retrieve": Action.VIEW,
    "history": Action.VIEW_HISTORY,
    "create": Action.CREATE,
    "update": Action.EDIT,
    "partial_update": Action.EDIT,
    "destroy": Action.DELETE,
    "retire": Action.DELETE,
}


def access_action(view: Any) -> Action:
    """The ``aims.access`` action a viewset action needs (``view.access_actions`` overrides)."""
    actions = {**DEFAULT_ACCESS_ACTIONS, **getattr(view, "access_actions", {})}
    name = view.action
    if name == "metadata":
        # OPTIONS describes each write the route allows: DRF asks about the object as the
        # clone of the request with that write's method, so check what that write needs.
        name = (getattr(view, "action_map", None) or {}).get(view.request.method.lower(), name)
    try:
        return actions[name]
    except KeyError:
        raise ImproperlyConfigured(f"{type(view).__name__}.access_actions has no entry for {view.action!r}") from None


class AccessPermission(BasePermission):
    """Authenticated users only; each object is checked with ``aims.access.require``.

    Actions without an object need their own check: lists scope their querysets with
    ``aims.access.scope``; creation checks the target management system (``ManagementSystemField``
    and ``RegisterViewSet.create``).
    """

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated)

    def has_object_permission(self, request: Request, view: Any, obj: models.Model) -> bool:
        access.require(request.user, access_action(view), obj)  # raises 404 or 403
        return True


# --- fields ------------------------------------------------------------------------------


class ManagementSystemField(serializers.PrimaryKeyRelatedField):
    """A management system id: 400 unless the user sees it, 403 unless they may do ``action`` in it."""

    default_error_messages = {
        "does_not_exist": "Management system not found.",
        "incorrect_type": "Management system not found.",
    }

    def __init__(self, *, action: Action = Action.CREATE, **kwargs: Any) -> None:
        self.access_action = action
        kwargs.setdefault("queryset", ManagementSystem.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[ManagementSystem]:
        return access.visible_management_systems(self.context["request"].user)

    def to_internal_value(self, data: Any) -> ManagementSystem:
        management_system = super().to_internal_value(data)
        # Refusing the action is a 403, not a field error: the user sees the system but may not act.
        access.require(self.context["request"].user, self.access_action, management_system)
        return management_system


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A register row by id, among the rows of the management systems the user may read."""

    def get_queryset(self) -> QuerySet:
        return access.scope(self.context["request"].user, super().get_queryset())


class MemberField(serializers.PrimaryKeyRelatedField):
    """A user by id, among the members of the requester's management systems.

    Whether they belong to the record's own management system is the service's rule.
    """

    def get_queryset(self) -> QuerySet:
        visible = access.visible_management_systems(self.context["request"].user).values("pk")
        return get_user_model().objects.filter(aims_memberships__management_system__in=visible).distinct()


# --- serializers -------------------------------------------------------------------------

REGISTER_FIELDS_BEFORE = ["id", "reference", "management_system"]
REGISTER_FIELDS_AFTER = ["version", "created_at", "updated_at", "change_reason"]


def register_fields(*names: str) -> list[str]:
    """``Meta.fields`` of a register serializer: the common fields around the model's own."""
    return [*REGISTER_FIELDS_BEFORE, *names, *REGISTER_FIELDS_AFTER]


class ChangeReasonMixin(serializers.Serializer):
    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=REASON_MAX, help_text="Why (kept in history)."
    )


class BoundedJSONField(serializers.JSONField):
    """A JSON value nested at most ``JSON_MAX_DEPTH`` levels, without NUL characters (a 400 otherwise).

    A JSON field sent in a form is parsed here, not by the API's JSON parser, so it needs its
    own limit; PostgreSQL refuses NUL in ``jsonb``.
    """

    def to_internal_value(self, data: Any) -> Any:
        try:
            value = super().to_internal_value(data)
        except RecursionError:
            raise serializers.ValidationError(f"Nested more than {JSON_MAX_DEPTH} levels deep.") from None
        problem = json_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class TextLimitsMixin:
    """A model serializer with bounded input: free text (``TextField``) at most ``TEXT_MAX`` characters, JSON bounded."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.JSONField: BoundedJSONField,
    }

    def build_standard_field(self, field_name: str, model_field: models.Field) -> tuple[type, dict]:
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if (
            isinstance(model_field, models.TextField)
            and issubclass(field_class, serializers.CharField)
            and not kwargs.get("read_only")
        ):
            kwargs.setdefault("max_length", TEXT_MAX)
        return field_class, kwargs


class RegisterSerializer(ChangeReasonMixin, TextLimitsMixin, serializers.ModelSerializer):
    """Base serializer of register rows: scoped relations, fixed management system, same-system links.

    Subclasses set ``Meta.model`` and ``Meta.fields = register_fields(...)``. Foreign keys and
    many-to-many fields to register rows resolve only rows the user may read; foreign keys to
    users resolve only members of the requester's management systems.
    """

    management_system = ManagementSystemField(action=Action.CREATE)

    def build_relational_field(self, field_name: str, relation_info: Any) -> tuple[type, dict]:
        field_class, kwargs = super().build_relational_field(field_name, relation_info)
        if field_class is serializers.PrimaryKeyRelatedField:
            related = relation_info.related_model
            if issubclass(related, RegisterModel):
                field_class = ScopedRelatedField
            elif related is get_user_model():
                field_class = MemberField
        return field_class, kwargs

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.instance is not None and "management_system" in fields:
            fields["management_system"] = serializers.PrimaryKeyRelatedField(read_only=True)  # a row never moves
        if issubclass(self.Meta.model, RetirableModel):
            fields["retired_at"] = serializers.DateTimeField(read_only=True, allow_null=True)
            fields["retired_reason"] = serializers.CharField(read_only=True)
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        management_system = attrs.get("management_system") or getattr(self.instance, "management_system", None)
        errors = {}
        for name, value in attrs.items():
            items = value if isinstance(value, list | tuple) else [value]
            foreign = [
                v for v in items if isinstance(v, RegisterModel) and v.management_system_id != management_system.pk
            ]
            if foreign:
                errors[name] = [f"{', '.join(str(v) for v in foreign)} belongs to another management system."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.JSONField()
    new = serializers.JSONField()


class VersionSerializer(serializers.Serializer):
    """One version of a record from ``aims.history.versions_of``."""

    history_id = serializers.IntegerField()
    version = serializers.SerializerMethodField()
    date = serializers.DateTimeField()
    user = serializers.SerializerMethodField()
    change_reason = serializers.CharField(source="reason")
    type = serializers.SerializerMethodField()
    changes = FieldChangeSerializer(many=True)

    @extend_schema_field({"type": "integer", "nullable": True})
    def get_version(self, version: Any) -> int | None:
        return getattr(version.record, "version", None)

    @extend_schema_field({"type": "string", "nullable": True})
    def get_user(self, version: Any) -> str | None:
        return version.user.get_username() if version.user else None

    @extend_schema_field({"type": "string", "enum": ["created", "changed", "deleted"]})
    def get_type(self, version: Any) -> str:
        return version.kind.lower()


# --- viewsets ----------------------------------------------------------------------------


class HistoryPagination(Pagination):
    """A history's pages: ``?page=N`` and ``?page_size=M`` as every list, 50 versions a page by default."""

    page_size = HISTORY_PAGE_SIZE

    def paginate_queryset(self, queryset: QuerySet, request: Request, view: Any = None) -> list | None:
        """One page of history rows as versions (``aims.history.versions_on``): queries do not grow with versions."""
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise exceptions.NotFound(f"Invalid page: {exc}.") from exc
        return versions_on(self.page, view.history_model)


class HistoryMixin:
    """``GET .../<id>/history/``: the versions, newest first, with who, when, why and field-level changes.

    Paginated as the other lists (``count``, ``next``, ``previous``, ``results``; 50 a page).
    """

    def get_history_rows(self, obj: models.Model) -> QuerySet:
        return obj.history.select_related("history_user").order_by("-history_date", "-history_id")

    @extend_schema(
        responses=VersionSerializer(many=True),
        filters=False,
        description="The record's versions, newest first, 50 a page (``page``, ``page_size``): each with who, "
        "when, why and its field-level changes against the version before it (across pages too).",
    )
    @action(detail=True, methods=["get"], pagination_class=HistoryPagination, filter_backends=[])
    def history(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        self.history_model = type(obj)
        # The paginator itself: a viewset's paginate_queryset may annotate records, not versions.
        versions = self.paginator.paginate_queryset(self.get_history_rows(obj), request, view=self)
        return self.get_paginated_response(VersionSerializer(versions, many=True).data)


def filter_by_management_system(queryset: QuerySet, request: Request) -> QuerySet:
    """Apply ``?management_system=<id>``; an id the user cannot see simply matches nothing."""
    raw = request.query_params.get("management_system", "").strip()
    if not raw:
        return queryset
    if not (raw.isascii() and raw.isdigit()):
        raise exceptions.ValidationError({"management_system": ["Enter a management system id (a whole number)."]})
    ms_id = parse_id(raw)
    return queryset.filter(management_system_id=ms_id) if ms_id else queryset.none()  # past any id: none


class RegisterViewSet(HistoryMixin, viewsets.ModelViewSet):
    """CRUD and history of one register, scoped by ``aims.access`` and written through services.

    Subclasses set ``serializer_class`` (a ``RegisterSerializer``) and usually override
    ``get_base_queryset`` (call the area's selector) and ``create_object``/``update_object``/
    ``delete_object`` (call the area's services), and set ``filterset_class`` to the FilterSet
    of the list page. Writes take the change reason from the ``change_reason`` field or the
    ``X-Change-Reason`` header. Responses carry ``ETag: "<version>"``; PATCH, PUT and DELETE
    need a matching ``If-Match``.
    """

    permission_classes = [AccessPermission]
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend]
    filterset_class: type | None = None
    ordering: tuple[str, ...] = ("reference", "pk")

    @property
    def model(self) -> type[RegisterModel]:
        return self.get_serializer_class().Meta.model

    def get_base_queryset(self) -> QuerySet:
        """Rows the user may read, with what the serializer needs joined (override with a selector)."""
        return access.scope(self.request.user, self.model.objects.select_related("management_system"))

    def get_queryset(self) -> QuerySet:
        queryset = self.get_base_queryset()
        if self.action == "list":
            queryset = filter_by_management_system(queryset, self.request)
        return queryset.order_by(*self.ordering)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Filters narrow lists only: a record's own URL finds it whatever the query string says.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    # --- service hooks ---

    def _split_m2m(self, data: dict[str, Any]) -> dict[str, Any] | None:
        m2m = {f.name: data.pop(f.name) for f in self.model._meta.many_to_many if f.name in data}
        return m2m or None

    def create_object(
        self, *, management_system: ManagementSystem, user: Any, reason: str, data: dict[str, Any]
    ) -> Any:
        """Create the row through a service (override to call the area's service)."""
        return services.register_create(
            self.model, management_system=management_system, user=user, reason=reason, m2m=self._split_m2m(data), **data
        )

    def update_object(self, obj: Any, *, user: Any, expected_version: int, reason: str, data: dict[str, Any]) -> Any:
        """Change the row through a service (override to call the area's service)."""
        return services.register_update(
            obj, user=user, expected_version=expected_version, reason=reason, m2m=self._split_m2m(data), **data
        )

    def delete_object(self, obj: Any, *, user: Any, expected_version: int, reason: str) -> None:
        """Delete the row through a service (override to call the area's service)."""
        services.register_delete(obj, user=user, expected_version=expected_version, reason=reason)

    # --- endpoints ---

    def _respond(self, obj: Any, status_code: int = status.HTTP_200_OK) -> Response:
        obj = self.get_queryset().get(pk=obj.pk)  # re-read with the selector's joins and prefetches
        response = Response(self.get_serializer(obj).data, status=status_code)
        response["ETag"] = etag(obj.version)
        if status_code == status.HTTP_201_CREATED:
            response["Location"] = self.reverse_action("detail", args=[obj.pk])
        return response

    @extend_schema(parameters=[MANAGEMENT_SYSTEM_QUERY])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        return etag_response(self.get_serializer(obj).data, obj.version)

    @extend_schema(parameters=[CHANGE_REASON_HEADER])
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("change_reason", None)
        management_system = data.pop("management_system")
        access.require(request.user, access_action(self), management_system)  # the field checked it; be sure
        obj = self.create_object(
            management_system=management_system,
            user=request.user,
            reason=change_reason(request, "Created through the API"),
            data=data,
        )
        return self._respond(obj, status.HTTP_201_CREATED)

    @extend_schema(parameters=[IF_MATCH_HEADER, CHANGE_REASON_HEADER])
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        version = expected_version(request, obj.version)
        serializer = self.get_serializer(obj, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("change_reason", None)
        obj = self.update_object(
            obj,
            user=request.user,
            expected_version=version,
            reason=change_reason(request, "Changed through the API"),
            data=data,
        )
        return self._respond(obj)

    @extend_schema(parameters=[IF_MATCH_HEADER, CHANGE_REASON_HEADER])
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    # --- custom actions ---

    def read_for_change(
        self, request: Request, body_class: type[serializers.Serializer], obj: Any = None
    ) -> tuple[Any, int, dict]:
        """The record (``obj`` if already read), the version named in If-Match (428/412 first), then the body (400)."""
        obj = self.get_object() if obj is None else obj
        version = expected_version(request, obj.version)
        return obj, version, validated(request, body_class, context=self.get_serializer_context())

    def change_with(
        self, request: Request, service: Any, body_class: type[serializers.Serializer], obj: Any = None
    ) -> Response:
        """A custom action that moves the record: ``service(obj, user=, expected_version=, **body)``, then the record."""
        obj, version, data = self.read_for_change(request, body_class, obj)
        return self._respond(service(obj, user=request.user, expected_version=version, **data))

    def sign_with(
        self, request: Request, service: Any, body_class: type[serializers.Serializer] | None = None
    ) -> Response:
        """A custom action that signs the record (If-Match, X-OTP) through ``service``; 201 with the sign-off."""
        obj, version, data = self.read_for_change(request, body_class or SignOffRequestSerializer)
        signoff = service(obj, user=request.user, expected_version=version, verification=step_up(request), **data)
        return signed_response(signoff)

    @extend_schema(parameters=[IF_MATCH_HEADER, CHANGE_REASON_HEADER])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        version = expected_version(request, obj.version)
        self.delete_object(
            obj, user=request.user, expected_version=version, reason=change_reason(request, "Deleted through the API")
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RetireRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=300, help_text="Why the record is retired or withdrawn (kept in history)."
    )


class RetireMixin:
    """``POST .../<id>/retire/``: retire (withdraw) the version named in If-Match, with a reason.

    A record that a sign-off, evidence or another record refers to cannot be deleted (409); it
    is retired instead, stays readable with its history, and is listed as closed. Subclasses
    implement ``retire_object`` with the area's service.
    """

    def retire_object(self, obj: Any, *, user: Any, expected_version: int, reason: str) -> Any:
        raise NotImplementedError

    @extend_schema(request=RetireRequestSerializer, parameters=[IF_MATCH_HEADER])
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        version = expected_version(request, obj.version)
        body = RetireRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        obj = self.retire_object(obj, user=request.user, expected_version=version, reason=body.validated_data["reason"])
        return self._respond(obj)


@extend_schema_serializer(component_name="LedgerSignOff")
class SignOffSerializer(serializers.ModelSerializer):
    """A sign-off of the ledger (any kind): what was signed, by whom, and its place in the chain."""

    signer = serializers.CharField(source="signer.username", read_only=True)
    subject_type = serializers.SerializerMethodField()

    class Meta:
        model = SignOff
        fields = [
            "id",
            "management_system",
            "sequence",
            "kind",
            "subject_type",
            "subject_id",
            "versions",
            "signer",
            "signer_role",
            "signer_title",
            "statement",
            "signed_at",
            "verification",
            "override_reason",
            "canonical_format",
            "digest",
            "previous_digest",
            "signature",
        ]
        read_only_fields = fields  # only ever an answer: a sign-off is made by the signing ceremony, never posted

    def get_subject_type(self, obj: SignOff) -> str:
        # The content type cache answers this without a query per row.
        subject_type = ContentType.objects.get_for_id(obj.subject_type_id)
        return f"{subject_type.app_label}.{subject_type.model}"


def signed_response(signoff: SignOff) -> Response:
    """201 with the sign-off just made."""
    return Response(SignOffSerializer(signoff).data, status=status.HTTP_201_CREATED)


class SignedStateMixin(serializers.Serializer):
    """Sign-off state read from ``ledger.annotate_sign_offs`` (annotated per page, or here for one row)."""

    # The docstring above is the schema's description of every serializer using this mixin: keep it.
    # ``sign_off_kind`` names the kind; an area may judge "changed since signed" otherwise (``annotate_signed``).

    sign_off_kind = ""
    annotate_signed = staticmethod(ledger.annotate_sign_offs)
    latest_sign_off = serializers.SerializerMethodField()
    signed_version = serializers.SerializerMethodField()
    changed_since_signed = serializers.SerializerMethodField()

    def _annotated(self, obj: Any) -> Any:
        if not hasattr(obj, "latest_sign_off"):
            self.annotate_signed([obj], self.sign_off_kind)
        return obj

    @extend_schema_field(SignOffSerializer(allow_null=True))
    def get_latest_sign_off(self, obj: Any) -> dict | None:
        latest = self._annotated(obj).latest_sign_off
        return SignOffSerializer(latest).data if latest else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_signed_version(self, obj: Any) -> int | None:
        return self._annotated(obj).signed_version

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_changed_since_signed(self, obj: Any) -> bool:
        return self._annotated(obj).changed_since_signed


class SignedPageMixin:
    """Annotate each page of a list with its sign-off state (``sign_off_kind``) in a fixed number of queries."""

    sign_off_kind = ""
    annotate_signed = staticmethod(ledger.annotate_sign_offs)

    def paginate_queryset(self, queryset: QuerySet) -> list | None:
        page = super().paginate_queryset(queryset)
        return self.annotate_signed(page, self.sign_off_kind) if page is not None else None


class ApproveMixin:
    """``POST .../<id>/approve/``: sign off the record (the viewset's ``approve_kind``) as the version read.

    ``If-Match`` names the record's version; ``X-OTP`` carries the step-up; the body gives the
    statement (and the four-eyes override reason when the signer made the last change).
    Answers 201 with the sign-off.
    """

    approve_kind = ""

    @extend_schema(request=SignOffRequestSerializer, parameters=[IF_MATCH_HEADER, X_OTP_HEADER])
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        body = SignOffRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            current = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
            expected_version(request, current.version)
            signoff = ledger.sign_off(
                kind=self.approve_kind,
                subject=current,
                user=request.user,
                verification=step_up(request),
                **body.validated_data,
            )
        return Response(SignOffSerializer(signoff).data, status=status.HTTP_201_CREATED)
