"""Render a document's Markdown safely: CommonMark without raw HTML, and only safe links.

The text is written by members of the organisation and read by everyone with access, in the
browser and in audit packs, so it is never trusted: raw HTML is escaped as text, and a link or
image whose address is not http(s), mailto, a fragment or a relative path is dropped to text.
"""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

SAFE_SCHEMES = ("http:", "https:", "mailto:")


def _is_safe_url(url: str) -> bool:
    address = "".join(url.split()).lower()
    if ":" not in address.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
        return True  # relative: a path, a query or a fragment
    return address.startswith(SAFE_SCHEMES)


def _validate_link(url: str) -> bool:
    return _is_safe_url(url)


def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _validate_link  # links and images failing it stay as plain text
    return md


_MD = _renderer()


def render_markdown(text: str) -> SafeString:
    """The HTML of a Markdown text, safe to show: raw HTML escaped, unsafe links left as text."""
    return mark_safe(_MD.render(text or ""))  # noqa: S308 (html disabled, links validated above)
