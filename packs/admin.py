"""Admin for audit packs: read-only (packs are requested and rendered through the application)."""

from aims.admin import register_remaining

register_remaining("packs")
