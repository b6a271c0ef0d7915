"""The models of every family of the app (one module per family)."""
