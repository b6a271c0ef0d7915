"""HTML routes of the scope family."""

urlpatterns: list = []
