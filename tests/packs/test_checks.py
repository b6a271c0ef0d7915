"""`manage.py check` says when the libraries WeasyPrint needs are missing, and which packages provide them."""

from __future__ import annotations

from packs import checks


def test_no_warning_when_every_library_is_found(monkeypatch):
    monkeypatch.setattr(checks, "missing_libraries", lambda: [])
    assert checks.weasyprint_libraries() == []


def test_a_missing_library_is_named_with_the_package_to_install(monkeypatch):
    found = {"pango-1.0": "libpango-1.0.so.0", "fontconfig": "libfontconfig.so.1"}
    missing = checks.missing_libraries(find=found.get)
    assert [name for name, _package in missing] == ["pangoft2-1.0", "harfbuzz"]
    monkeypatch.setattr(checks, "missing_libraries", lambda: missing)
    [warning] = checks.weasyprint_libraries()
    assert warning.id == "packs.W001" and "pangoft2-1.0, harfbuzz" in warning.msg
    assert "libpangoft2-1.0-0 libharfbuzz0b" in warning.hint
