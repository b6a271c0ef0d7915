"""ASGI config: the whole site, and the governed AI gateway's async views under /gateway/v1/.

Serve it with uvicorn (``uvicorn aims.asgi:application``; ``make run`` does). The register's
pages are sync views and run in Django's thread pool as under WSGI; the gateway's views are
async, so a call waiting on its model provider holds no thread. With ``DJANGO_DEBUG`` on,
static files are served too, as ``runserver`` would (WhiteNoise serves them otherwise).

Requests under ``/gateway/v1/`` go to a handler of their own (``GatewayHandler``) without the
site's middleware: sessions, CSRF, log-in, second factor, lock-outs, history and the browser's
security headers are for people using pages, while the gateway's callers are AI systems with a
bearer key, and its views check that key themselves. Run per call, that sync middleware stack
cost a thread hop each way and most of the gateway's added latency (issue 14, section 8). What
the gateway still gets: the host check (``ALLOWED_HOSTS``), and ``Cache-Control: no-store`` and
``X-Content-Type-Options: nosniff`` on every answer (answers can carry personal data).
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings")

GATEWAY_PREFIX = "/gateway/v1/"


def gateway_middleware(get_response):
    """The only middleware of /gateway/v1/: the host check and the headers every answer carries."""

    async def middleware(request):
        request.get_host()  # DisallowedHost (400) for a host outside ALLOWED_HOSTS, as CommonMiddleware does
        response = await get_response(request)
        if "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        response.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return middleware


class GatewayHandler(ASGIHandler):
    """Django's ASGI handler with ``gateway_middleware`` alone in place of ``settings.MIDDLEWARE``."""

    # Its requests are HTTP only (the router sends it nothing else).

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        handler = convert_exception_to_response(self._get_response_async)
        self._middleware_chain = convert_exception_to_response(gateway_middleware(handler))

    async def __call__(self, scope, receive, send):
        # Without the ThreadSensitiveContext that Django opens per request, which starts a new thread
        # per request for the sync signal receivers around it (request_started, request_finished):
        # those run in asgiref's one shared sync thread. The gateway's own database work runs in its
        # pool (gateway.endpoint.in_db_thread), never in that thread.
        await self.handle(scope, receive, send)


site = get_asgi_application()  # sets Django up first
gateway = GatewayHandler()


async def application(scope, receive, send):
    """Route /gateway/v1/ to the gateway's handler and everything else to the site."""
    if scope["type"] == "http" and scope["path"].startswith(GATEWAY_PREFIX):
        return await gateway(scope, receive, send)
    return await site(scope, receive, send)


if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    site = ASGIStaticFilesHandler(site)
