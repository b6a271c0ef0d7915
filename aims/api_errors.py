"""API errors: every refusal is a 4xx with a JSON body saying what to do, never a server error.

``exception_handler`` (``REST_FRAMEWORK["EXCEPTION_HANDLER"]``) turns the services' errors
into API errors and lets DRF render them:

- Django ``ValidationError`` -> 400 with field errors;
- ``StaleVersionError`` and ``SignOffConflict`` -> 412;
- a deletion of a record something refers to -> 409 with ``referenced_by``, whether the
  service found the reference (``StillReferencedError``) or the database refused it
  (``ProtectedError``, ``RestrictedError``: a reference made in the meantime);
- a change the database refuses because the table is append-only (evidence, sign-offs,
  download records) -> 409.

Anything else unhandled reaches ``aims.errors.server_error``, which answers JSON too.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from aims.ledger import SignOffConflict
from aims.services import StaleVersionError, StillReferencedError, references_in

logger = logging.getLogger(__name__)

APPEND_ONLY_MARK = "append-only"  # what the PostgreSQL triggers say when they refuse (see the migrations)


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = (
        'This change needs an If-Match header with the ETag you read (for example If-Match: "3"), '
        "so that nobody else's change is overwritten. Nothing was saved."
    )
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record was changed by someone else since you read it. Nothing was saved: read it again."
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the record as it stands. Nothing was saved."
    default_code = "conflict"


class StillReferenced(Conflict):
    default_code = "still_referenced"


APPEND_ONLY_DETAIL = (
    "This record is append-only: it cannot be changed or deleted. Nothing was saved; "
    "record a corrected version instead."
)


def is_append_only_refusal(exc: BaseException) -> bool:
    """Whether a database error is an append-only trigger refusing an UPDATE or DELETE."""
    return isinstance(exc, DatabaseError) and APPEND_ONLY_MARK in str(exc)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Turn service and database refusals into API errors, then let DRF render them."""
    if isinstance(exc, StillReferencedError):
        return _still_referenced(exc.messages[0], exc.references, context)
    if isinstance(exc, ProtectedError | RestrictedError):
        references = references_in(exc)
        message = (
            f"This record cannot be deleted: {'; '.join(references)} refer to it. Retire it instead, with a reason."
        )
        return _still_referenced(message, references, context)
    if is_append_only_refusal(exc):
        logger.warning("Append-only refusal through the API: %s", exc)
        exc = Conflict(APPEND_ONLY_DETAIL)
    elif isinstance(exc, DjangoValidationError):
        detail = serializers.as_serializer_error(exc)
        if "__all__" in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("__all__")
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, StaleVersionError | SignOffConflict):
        exc = PreconditionFailed(str(exc))
    return drf_exception_handler(exc, context)


def _still_referenced(message: str, references: list[str], context: dict) -> Response | None:
    response = drf_exception_handler(StillReferenced(message), context)
    if response is not None:
        response.data["referenced_by"] = references
    return response
