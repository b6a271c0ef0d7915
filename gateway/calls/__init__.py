"""Calls: /gateway/v1/chat/completions and /gateway/v1/models."""
