"""The management system's API: each register family registers its viewsets."""

from __future__ import annotations

from rest_framework.routers import BaseRouter

from governance.citations import api as citations
from governance.context import api as context
from governance.documents import api as documents
from governance.objectives import api as objectives
from governance.people import api as people
from governance.scope import api as scope


def register(router: BaseRouter) -> None:
    documents.register(router)
    people.register(router)
    context.register(router)
    scope.register(router)
    objectives.register(router)
    citations.register(router)
