"""The app's demo records: one module per family, in order."""

from __future__ import annotations

import importlib
from typing import Any

STEPS = ("meetings",)


def load(demo: Any) -> None:
    for step in STEPS:
        importlib.import_module(f"reviews.demo.{step}").load(demo)
