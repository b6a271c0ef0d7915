"""Wiring of the meetings family into the kit: the minutes' sign-off kind, the pack section, the readiness
checks and the items of "my work"."""

from __future__ import annotations


def register() -> None:
    """Called from ReviewsConfig.ready()."""
    from reviews.meetings import pack, readiness, signoffs, work

    signoffs.register()
    pack.register()
    readiness.register()
    work.register()
