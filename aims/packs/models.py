"""Audit packs: requests, rendered PDFs and evidence bundles (filled in by the packs issue)."""
