"""The mywork family of the reviews app."""
