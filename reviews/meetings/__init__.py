"""The meetings family of the reviews app."""
