"""ASGI config: the whole site, and the governed AI gateway's async views under /gateway/v1/.

Serve it with uvicorn (``uvicorn aims.asgi:application``; ``make run`` does). The register's
pages are sync views and run in Django's thread pool as under WSGI; the gateway's views are
async, so a call waiting on its model provider holds no thread. With ``DJANGO_DEBUG`` on,
static files are served too, as ``runserver`` would (WhiteNoise serves them otherwise).
"""

import os

from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aims.settings")

application = get_asgi_application()

if settings.DEBUG:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    application = ASGIStaticFilesHandler(application)
