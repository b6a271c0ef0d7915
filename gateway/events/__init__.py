"""The gateway's event log: the ledger's events as pages and API, their verification, and the Gateway menu."""
