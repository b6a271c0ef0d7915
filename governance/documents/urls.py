"""HTML routes of the documents family."""

urlpatterns: list = []
