"""Admin: read-only views of the app's records (each family adds its own)."""
