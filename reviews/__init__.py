"""Management reviews (9.3), readiness checks, "my work" and reminders: the app above every register it reads."""
