"""The admin shows no governance register: every write goes through the services and pages."""
