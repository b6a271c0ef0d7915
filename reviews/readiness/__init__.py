"""The readiness family of the reviews app."""
