"""Demo steps of the gateway (registered from gateway/apps.py)."""
