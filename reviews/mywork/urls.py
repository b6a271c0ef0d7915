"""HTML routes of the mywork family."""

from django.urls import URLPattern, path

from reviews.mywork import views

urlpatterns: list[URLPattern] = [
    path("my-work/", views.my_work, name="my_work"),
]
