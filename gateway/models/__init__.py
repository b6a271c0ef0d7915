"""The models of the gateway (one module per family)."""
