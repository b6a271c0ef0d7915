"""HTML routes of the people family."""

urlpatterns: list = []
