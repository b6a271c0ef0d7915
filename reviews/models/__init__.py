"""The models of every family of the app (one module per family); each module lists its models in ``__all__``."""

from reviews.models.meetings import *  # noqa: F403
