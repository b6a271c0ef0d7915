"""The governed AI gateway (issue 14): an OpenAI-compatible endpoint that checks every call against the
register, strips personal data, applies a versioned policy, parks external actions for a human and writes
every event into an append-only hash-chained ledger."""
