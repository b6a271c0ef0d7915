import pytest

from tests.packs.worker import pack_worker, worker_settings  # noqa: F401  (fixtures)


@pytest.fixture
def tiny_html(monkeypatch):
    """Render a one-page section instead of the whole pack, for tests about the file pipeline only."""
    from packs import render, services

    def tiny(data):
        html = render._document_html("Pack", f"<p>Pack {data.pack.pk}</p>")
        return render.PackParts(data=data, sections=[render.SectionPart("tiny", "Pack", 1, [html])])

    monkeypatch.setattr(services, "render_pack_parts", tiny)
