"""factory_boy factories for users, management systems and register rows.

Register rows are created through the services, as the application does, so that
references, versions, history and grants are the real ones.
"""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from aims import services
from aims.models import ManagementSystem
from registers import services as register_services
from registers.models import AISystem, DatasetRecord, ModelRecord, Supplier

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def make_management_system(*, owner, organisation: str = "Acme Health", name: str = "AIMS") -> ManagementSystem:
    return services.management_system_create(user=owner, organisation=organisation, name=name)


def make_ai_system(management_system: ManagementSystem, *, user=None, **fields) -> AISystem:
    fields.setdefault("name", "Triage assistant")
    fields.setdefault("purpose", "Suggests a triage category for incoming patient messages.")
    return register_services.ai_system_create(management_system=management_system, user=user, **fields)


def make_record(model, management_system: ManagementSystem, *, user=None, **fields):
    fields.setdefault("name", f"{model._meta.verbose_name} {model.objects.count() + 1}")
    return register_services.record_create(model, management_system=management_system, user=user, **fields)


__all__ = [
    "PASSWORD",
    "UserFactory",
    "make_management_system",
    "make_ai_system",
    "make_record",
    "ModelRecord",
    "DatasetRecord",
    "Supplier",
]
