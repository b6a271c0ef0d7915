import pytest

from tests.packs.worker import pack_worker, worker_settings  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Keep uploaded evidence and packs of a test in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AIMS_PACK_DIR = tmp_path / "media" / "packs"
