"""Routes of the model calls (filled by the calls family)."""

urlpatterns: list = []
