"""The redaction policy: mask, hash, block or allow per type, over every message of a call; fail closed."""

from __future__ import annotations

import json

import pytest

from gateway.pii import PiiDetectionError, recognizers, redact_messages, redact_text

NHS = "943 476 5919"
EMAIL = "anna.shaw@example.co.uk"


def test_mask_numbers_each_value_once_across_every_message_and_role():
    messages = [
        {"role": "system", "content": "Contact the data protection officer at dpo@example.org."},
        {"role": "user", "content": [{"type": "text", "text": f"Patient {NHS}, email {EMAIL}."}]},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": json.dumps({"nhs": "9434765919"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": f"Record for {EMAIL}: NHS 669 147 6379."},
    ]
    result = redact_messages(messages, {})
    system, user, assistant, tool = result.messages
    assert system["content"] == "Contact the data protection officer at <EMAIL_1>."
    assert user["content"][0]["text"] == "Patient <NHS_1>, email <EMAIL_2>."
    assert json.loads(assistant["tool_calls"][0]["function"]["arguments"]) == {"nhs": "<NHS_1>"}
    assert tool["content"] == "Record for <EMAIL_2>: NHS <NHS_2>."
    assert result.counts == {"EMAIL_ADDRESS": 3, "NHS_NUMBER": 3}
    assert result.blocked == [] and not result.refused
    assert messages[1]["content"][0]["text"] == f"Patient {NHS}, email {EMAIL}."  # the input is untouched


def test_hash_is_salted_stable_and_allow_leaves_the_value():
    text = f"NHS {NHS}, email {EMAIL}"
    first = redact_text(text, {"NHS_NUMBER": "hash", "EMAIL_ADDRESS": "allow"}, salt="deployment-a")
    again = redact_text(f"NHS {NHS.replace(' ', '')}", {"NHS_NUMBER": "hash"}, salt="deployment-a")
    other = redact_text(text, {"NHS_NUMBER": "hash"}, salt="deployment-b")
    token = first.text.split()[1].rstrip(",")
    assert token.startswith("<NHS:") and len(token) == len("<NHS:>") + 12
    assert first.text == f"NHS {token}, email {EMAIL}"
    assert again.text == f"NHS {token}"
    assert token not in other.text


def test_block_refuses_the_call_and_reports_types_without_values():
    result = redact_messages(
        [{"role": "user", "content": f"Card 4111 1111 1111 1111 for NHS {NHS}, NI AB123456C"}],
        {"CREDIT_CARD": "block", "UK_NINO": "block", "NHS_NUMBER": "mask"},
    )
    assert result.refused
    assert result.blocked == ["CREDIT_CARD", "UK_NINO"]
    # Even a refused call keeps no value, so logging it leaks nothing.
    assert result.messages[0]["content"] == "Card <CARD_1> for NHS <NHS_1>, NI <NINO_1>"


def test_default_applies_to_types_without_a_rule():
    result = redact_text(f"email {EMAIL}, NHS {NHS}", {"NHS_NUMBER": "mask"}, default="allow")
    assert result.text == f"email {EMAIL}, NHS <NHS_1>"
    assert result.counts == {"EMAIL_ADDRESS": 1, "NHS_NUMBER": 1}


def test_any_failure_inside_detection_raises_one_error(monkeypatch):
    def broken(*args: object, **kwargs: object) -> list:
        raise RuntimeError("recognizer crashed")

    monkeypatch.setattr(recognizers.PhoneNumberRecognizer, "analyze", broken)
    with pytest.raises(PiiDetectionError):
        redact_messages([{"role": "user", "content": f"NHS {NHS}"}], {})
    with pytest.raises(PiiDetectionError):
        redact_text("anything", {})


def test_a_message_that_cannot_be_read_refuses_the_call():
    with pytest.raises(PiiDetectionError):
        redact_messages([{"role": "assistant", "tool_calls": ["not a tool call"]}], {})
