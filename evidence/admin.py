"""Evidence in the admin: read-only (evidence is immutable; corrections are new rows)."""

from aims.admin import register_remaining

register_remaining("evidence")
