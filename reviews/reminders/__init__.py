"""The reminders family of the reviews app."""
