"""As-of readers for the SoA, risks, impact assessments and the sign-off chain."""

from __future__ import annotations

from typing import Any

GATHERERS: dict[str, Any] = {}
