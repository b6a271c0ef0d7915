from django.apps import AppConfig

# The families of this app, each a package with a ``setup.register()``.
FAMILIES = ("meetings", "readiness", "mywork", "reminders")


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = "Management reviews, readiness and my work"

    def ready(self) -> None:
        import importlib

        for family in FAMILIES:
            importlib.import_module(f"reviews.{family}.setup").register()
        from aims import hooks

        hooks.register_demo_step("reviews.demo", order=60)
