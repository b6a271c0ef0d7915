"""The API's JSON parser: DRF's, refusing JSON nested deeper than ``JSON_MAX_DEPTH`` levels.

A body nested thousands of levels deep exhausts Python's recursion limit inside the JSON
decoder, which would be a server error; any body nested deeper than a record ever needs
is refused with a 400 instead. (The body's size is Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``,
which DRF applies when it reads a JSON body: over it, ``aims.errors.bad_request`` answers.)
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers

from aims.limits import JSON_MAX_DEPTH, json_depth_exceeds

TOO_DEEP = f"The JSON body nests arrays or objects more than {JSON_MAX_DEPTH} levels deep; nothing was saved."


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit: deeper bodies are a 400."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data):
            raise exceptions.ParseError(TOO_DEEP)
        return data
