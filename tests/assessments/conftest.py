"""The Annex A catalog is migration data; transactional tests (the browser ones) flush it, so reload it."""

import pytest

from controls.catalog import catalog_ensure


@pytest.fixture(autouse=True)
def _annex_a_catalog(db):
    catalog_ensure()
