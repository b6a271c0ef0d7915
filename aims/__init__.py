from .celery import app as celery_app

__version__ = "1.0.0"  # shown on the About page
__all__ = ["__version__", "celery_app"]
