import pytest

from tests.packs.worker import pack_worker, worker_settings  # noqa: F401  (fixtures)


@pytest.fixture
def tiny_html(monkeypatch):
    """Render a one-page HTML instead of the whole pack, for tests about the file pipeline only."""
    from packs import services

    monkeypatch.setattr(services, "render_pack_html", lambda data: f"<p>Pack {data.pack.pk}</p>")
