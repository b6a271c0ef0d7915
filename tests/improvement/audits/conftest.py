"""The catalogues (clauses 4 to 10 and Annex A) are migration data; transactional tests flush them, so reload them."""

import pytest

from controls.catalog import catalog_ensure


@pytest.fixture(autouse=True)
def _catalogues(db):
    catalog_ensure()
