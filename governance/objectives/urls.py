"""HTML routes of the objectives family."""

urlpatterns: list = []
