"""Calls: /gateway/v1/chat/completions and /gateway/v1/models.

``checks`` holds the register checks, ``services`` the database side of a call (decision,
redaction, ledger), ``upstream`` the forwarding to the model provider, ``views`` the async views.
"""
