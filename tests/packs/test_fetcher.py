"""The pack renderer fetches only the project's static files and data: URIs."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from packs.fetcher import BASE_URL, RefusedURL, StaticOnlyFetcher
from packs.render import html_to_pdf
from tests.packs.helpers import pdf_text

PNG_DATA_URI = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


@pytest.fixture
def http_server():
    """A local HTTP server that records every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_file_network_and_css_import_urls_are_never_fetched(http_server):
    origin, hits = http_server
    html = f"""<html><head>
      <link rel="stylesheet" href="{origin}/linked.css">
      <style>@import url("{origin}/imported.css"); @import "file:///etc/passwd";
        body {{ background: url("{origin}/background.png"); }}
        @font-face {{ font-family: X; src: url("{origin}/font.woff"); }}</style>
      </head><body><p>Visible text</p>
      <img src="file:///etc/passwd"><img src="{origin}/pixel.png"><img src="/etc/passwd">
      <img src="../../../../etc/passwd"><img src="/static/../../../../etc/passwd">
      <img src="/static/%2e%2e/%2e%2e/etc/passwd"><img src="ftp://127.0.0.1/x">
      <iframe src="{origin}/frame.html"></iframe><object data="{origin}/object.svg"></object>
    </body></html>"""
    pdf = html_to_pdf(html)
    assert hits == []
    text = pdf_text(pdf.content)
    assert "Visible text" in text and "root:" not in text
    assert any(u.startswith("file:///etc/passwd") for u in pdf.refused_urls)
    assert any("/imported.css" in u for u in pdf.refused_urls)
    assert any("/linked.css" in u for u in pdf.refused_urls)


def test_static_assets_and_data_uris_are_served():
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch(BASE_URL + "static/css/app.css")
    assert response.read()  # the project's own stylesheet
    assert fetcher.fetch(PNG_DATA_URI).read().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:1/x.css",
        "https://example.org/x.png",
        "ftp://127.0.0.1/x",
        BASE_URL + "etc/passwd",
        BASE_URL + "static/../../etc/passwd",
        BASE_URL + "static/%2e%2e/%2e%2e/etc/passwd",
        BASE_URL + "static/css/app.css?x=1",
        "https://evil.example/static/css/app.css",
    ],
)
def test_fetcher_refuses_everything_else(url):
    with pytest.raises(RefusedURL):
        StaticOnlyFetcher().fetch(url)
