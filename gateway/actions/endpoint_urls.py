"""Routes of /gateway/v1/actions (filled by the actions family)."""

urlpatterns: list = []
