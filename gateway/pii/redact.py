"""Apply a per-entity policy (mask, hash, block, allow) to chat messages and responses."""

from __future__ import annotations

import copy
import hashlib
import hmac
import re
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings

from gateway.pii.engine import PiiDetectionError, detect

# Short names for placeholders: <EMAIL_1>, <NHS:3f2a...>.
LABELS = {
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CARD",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP",
    "URL": "URL",
    "NHS_NUMBER": "NHS",
    "UK_NINO": "NINO",
}
HASH_PREFIX_LENGTH = 12


class Action(StrEnum):
    """What the policy does with one type of personal data."""

    MASK = "mask"
    HASH = "hash"
    BLOCK = "block"
    ALLOW = "allow"


@dataclass
class RedactionResult:
    """Redacted messages or text, how many of each type were found (never the values), what blocks the call."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """Return True if the policy blocks the call."""
        return bool(self.blocked)


def normalised(entity_type: str, value: str) -> str:
    """Return the value as compared and hashed: case and separators do not make a new value."""
    if entity_type in {"EMAIL_ADDRESS", "URL"}:
        return value.strip().lower()
    return re.sub(r"[\s()\-]", "", value).upper()


class Redactor:
    """Redact the texts of one call, numbering placeholders consistently across them."""

    def __init__(self, rules: dict[str, str], *, default: str = "mask", salt: str | None = None) -> None:
        self.rules = {entity: Action(action) for entity, action in rules.items()}
        self.default = Action(default)
        self.salt = (salt if salt is not None else pii_salt()).encode()
        self.placeholders: dict[tuple[str, str], str] = {}
        self.numbers: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.blocked: set[str] = set()

    def redact(self, text: str) -> str:
        """Return the text with each finding replaced as the policy says."""
        pieces, position = [], 0
        for finding in detect(text):
            value = text[finding.start : finding.end]
            self.counts[finding.entity_type] += 1
            pieces += [text[position : finding.start], self.replacement(finding.entity_type, value)]
            position = finding.end
        return "".join(pieces) + text[position:]

    def replacement(self, entity_type: str, value: str) -> str:
        """Return what stands in for one value; blocked values are masked so a refused call logs none."""
        action = self.rules.get(entity_type, self.default)
        if action is Action.ALLOW:
            return value
        if action is Action.BLOCK:
            self.blocked.add(entity_type)
        if action is Action.HASH:
            return self.hashed(entity_type, value)
        return self.masked(entity_type, value)

    def masked(self, entity_type: str, value: str) -> str:
        """Return the numbered placeholder of a value, the same one each time it recurs in the call."""
        key = (entity_type, normalised(entity_type, value))
        if key not in self.placeholders:
            self.numbers[entity_type] += 1
            self.placeholders[key] = f"<{LABELS.get(entity_type, entity_type)}_{self.numbers[entity_type]}>"
        return self.placeholders[key]

    def hashed(self, entity_type: str, value: str) -> str:
        """Return a salted hash placeholder: stable across calls, not reversible without the salt."""
        message = f"{entity_type}:{normalised(entity_type, value)}".encode()
        digest = hmac.new(self.salt, message, hashlib.sha256).hexdigest()[:HASH_PREFIX_LENGTH]
        return f"<{LABELS.get(entity_type, entity_type)}:{digest}>"

    def result(self, **kwargs: Any) -> RedactionResult:
        """Return the outcome so far."""
        return RedactionResult(counts=dict(self.counts), blocked=sorted(self.blocked), **kwargs)


def pii_salt() -> str:
    """Return the deployment's salt for hashed placeholders (derived from the secret key if unset)."""
    salt = getattr(settings, "GATEWAY_PII_SALT", "")
    if salt:
        return salt
    return hmac.new(settings.SECRET_KEY.encode(), b"gateway-pii-salt", hashlib.sha256).hexdigest()


def redact_message(message: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """Return a copy of one chat message with its content, parts and tool-call arguments redacted."""
    message = copy.deepcopy(message)
    content = message.get("content")
    if isinstance(content, str):
        message["content"] = redactor.redact(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                part["text"] = redactor.redact(part["text"])
    calls = [call.get("function", {}) for call in message.get("tool_calls") or []]
    for function in [*calls, message.get("function_call") or {}]:
        if isinstance(function.get("arguments"), str):
            function["arguments"] = redactor.redact(function["arguments"])
    return message


def redact_messages(
    messages: list[dict[str, Any]], rules: dict[str, str], *, default: str = "mask", salt: str | None = None
) -> RedactionResult:
    """Redact every message of one call (every role); raise PiiDetectionError if detection fails."""
    redactor = Redactor(rules, default=default, salt=salt)
    try:
        redacted = [redact_message(message, redactor) for message in messages]
    except PiiDetectionError:
        raise
    except Exception as exc:  # a message we cannot read is one we cannot vouch for
        raise PiiDetectionError("A message could not be read for personal data") from exc
    return redactor.result(messages=redacted)


def redact_text(text: str, rules: dict[str, str], *, default: str = "mask", salt: str | None = None) -> RedactionResult:
    """Redact one text, such as a model's response; raise PiiDetectionError if detection fails."""
    redactor = Redactor(rules, default=default, salt=salt)
    return redactor.result(text=redactor.redact(text))
