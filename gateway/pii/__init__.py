"""Personal data detection and redaction at the gateway's boundary, offline (Presidio on a blank spaCy pipeline)."""

from gateway.pii.engine import ENTITIES, Finding, PiiDetectionError, detect, get_analyzer
from gateway.pii.redact import Action, RedactionResult, Redactor, redact_messages, redact_text

__all__ = [
    "ENTITIES",
    "Action",
    "Finding",
    "PiiDetectionError",
    "RedactionResult",
    "Redactor",
    "detect",
    "get_analyzer",
    "redact_messages",
    "redact_text",
]
