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

import asyncio
import os

from django.conf import settings
from django.core import signals
from django.core.asgi import get_asgi_application
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.exception import convert_exception_to_response
from django.urls import set_script_prefix

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

    async def handle(self, scope, receive, send):
        """Django's ``ASGIHandler.handle``, with ``request_started`` and ``request_finished`` sent in the event loop.

        Django sends them from a thread (two thread hops per call, a good part of the gateway's CPU per
        call). Their receivers act on the database connections and state of the thread they run in
        (``close_old_connections``, ``reset_queries``; ``close_caches`` and ``reset_urlconf`` are quick
        and do no I/O): when the gateway's database work runs in its pool (``GATEWAY_DB_THREADS`` > 0),
        whose threads check their own connections before and after each piece of work, neither that
        thread nor the event loop's holds a connection, so running them here does the same at no cost.
        With ``GATEWAY_DB_THREADS = 0`` the work runs on asgiref's thread's connection: Django's ``handle``.
        """
        if int(getattr(settings, "GATEWAY_DB_THREADS", 4)) <= 0:
            return await super().handle(scope, receive, send)
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            error_response.close()
            return

        async def process_request(request, send):
            response = await self.run_get_response(request)
            try:
                await self.send_response(response, send)
            except asyncio.CancelledError:  # the client disconnected while the answer was sent
                pass
            return response

        # As Django does: a disconnect while the view runs cancels it (a stream records how it ended).
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request(request, send)),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            signals.request_finished.send(sender=self.__class__)
        else:
            response.close()  # sends request_finished
        body_file.close()


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
