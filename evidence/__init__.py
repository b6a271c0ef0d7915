"""Evidence: validated, immutable, digested files and links, linkable to any record an app declares."""

from evidence.linkables import register_linkable

__all__ = ["register_linkable"]
