"""The catalogue (clauses and Annex A) is migration data; transactional tests flush it, so make sure it is there."""

import pytest

from controls.catalog import catalog_ensure


@pytest.fixture(autouse=True)
def _catalog(db):
    catalog_ensure()
