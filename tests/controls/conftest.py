"""The Annex A catalog is migration data; transactional tests (the browser ones) flush it, so reload it."""

import pytest

from controls.catalog import catalog_ensure


@pytest.fixture(autouse=True)
def _annex_a_catalog(request):
    if (
        "db" in request.fixturenames
        or "transactional_db" in request.fixturenames
        or request.node.get_closest_marker("django_db")
    ):
        request.getfixturevalue("db")
        catalog_ensure()
