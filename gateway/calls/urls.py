"""Routes of the model calls, under /gateway/v1/."""

from django.urls import path

from gateway.calls import views

urlpatterns = [
    path("chat/completions", views.chat_completions, name="gateway_chat_completions"),
    path("models", views.models, name="gateway_models"),
]
