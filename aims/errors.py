"""Error responses: JSON for everything under ``/api/``, the site's own pages elsewhere.

Django answers some errors before any view runs (an unknown URL, a body over the size
limit, a request it cannot parse) and answers 500 for an exception nothing handled. The
handlers here (``handler400``, ``handler403``, ``handler404`` and ``handler500`` in
``aims/urls.py``) give an API client the same ``{"detail": "..."}`` body that Django REST
framework gives for the errors it handles itself, never the HTML error page.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

API_PREFIX = "/api/"

NOT_FOUND = "Not found."
PERMISSION_DENIED = "You do not have permission to perform this action."
BAD_REQUEST = "The request could not be read."
SERVER_ERROR = (
    "The server could not finish this request. Nothing was half-saved: changes are saved whole or not at all."
)
_BAD_REQUESTS = {
    RequestDataTooBig: "The request body is larger than the server accepts.",
    TooManyFieldsSent: "The request has more fields than the server accepts.",
    TooManyFilesSent: "The request has more files than the server accepts.",
}


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the API (answered in JSON)."""
    return request.path_info.startswith(API_PREFIX)


def json_error(status: int, detail: str, **extra: object) -> JsonResponse:
    """An API error body, shaped as Django REST framework shapes its own."""
    return JsonResponse({"detail": detail, **extra}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        message = next((text for kind, text in _BAD_REQUESTS.items() if isinstance(exception, kind)), BAD_REQUEST)
        return json_error(400, message)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return json_error(403, PERMISSION_DENIED)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return json_error(404, NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return json_error(500, SERVER_ERROR)
    return defaults.server_error(request)
