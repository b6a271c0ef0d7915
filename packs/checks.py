"""System check: the libraries WeasyPrint needs to render audit packs are on this machine.

WeasyPrint is imported only by the workers that render packs, so its absence would show
only when the first pack fails. ``manage.py check`` (run by ``make run`` and at every
``migrate``) looks for the shared libraries instead, without importing WeasyPrint.
"""

from __future__ import annotations

import ctypes.util
from typing import Any

from django.core import checks

# (library name for ctypes, Debian package that provides it)
LIBRARIES = [
    ("pango-1.0", "libpango-1.0-0"),
    ("pangoft2-1.0", "libpangoft2-1.0-0"),
    ("harfbuzz", "libharfbuzz0b"),
    ("fontconfig", "fontconfig"),
]


def missing_libraries(find: Any = ctypes.util.find_library) -> list[tuple[str, str]]:
    """The libraries WeasyPrint needs that cannot be found, with the package that provides each."""
    return [(name, package) for name, package in LIBRARIES if find(name) is None]


@checks.register("packs")
def weasyprint_libraries(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    missing = missing_libraries()
    if not missing:
        return []
    packages = " ".join(package for _name, package in missing)
    return [
        checks.Warning(
            f"Audit packs cannot be rendered on this machine: {', '.join(name for name, _ in missing)} "
            "not found (WeasyPrint needs Pango, HarfBuzz and fontconfig).",
            hint=f"On Debian or Ubuntu: apt-get install {packages} fonts-dejavu-core",
            id="packs.W001",
        )
    ]
