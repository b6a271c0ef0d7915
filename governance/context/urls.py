"""HTML routes of the context family."""

urlpatterns: list = []
