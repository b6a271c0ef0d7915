"""External actions: connectors, /gateway/v1/actions, the approval queue."""
