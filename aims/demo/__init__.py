"""Demo data for `manage.py load_demo`: Acme Health with one user per role, and Northwind Retail.

The core creates the people, the two management systems and Acme's members; every app
adds its own records through the demo step it registers (``aims.hooks.register_demo_step``),
in the order of the steps. Everything is written through the services, so references,
versions, grants and history (who, when, why) are the real ones. Loading is idempotent:
records are looked up by their natural key (username, management system name, record
name) and only missing ones are created; follow-up edits run only for records created in
the same run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from aims import hooks, services
from aims.models import ManagementSystem, Membership, Role

# Shown in the README and printed by `make run`; demo users exist only after load_demo.
DEMO_PASSWORD = "aims-demo-2026"

# username -> (role in Acme Health or None, first name, last name, job title)
DEMO_PEOPLE: dict[str, tuple[str | None, str, str, str]] = {
    "owner": (Role.OWNER, "Priya", "Shah", "Chief Clinical Information Officer"),
    "officer": (Role.OFFICER, "Sam", "Okafor", "AI compliance officer"),
    "leader": (Role.LEADERSHIP, "Helen", "Marsh", "Chief Executive"),
    "contributor": (Role.CONTRIBUTOR, "Tom", "Reyes", "Digital services product lead"),
    "auditor": (Role.AUDITOR, "Anna", "Kowalski", "External auditor, Certa Assurance"),
    "outsider": (None, "Oscar", "Lind", "Head of data, Northwind Retail"),
}
AUDITOR_ACCESS_DAYS = 30
# The members of Acme Health among the demo users (``Demo.acme_users``).
ACME_ROLE_KEYS = ("owner", "officer", "leader", "contributor", "auditor")

ACME = {
    "organisation": "Acme Health Hospitals Trust",
    "name": "Acme Health",
    "scope_statement": (
        "The AI management system covers every AI system that Acme Health Hospitals Trust develops, "
        "procures or deploys in patient care and patient-facing services at its two acute hospitals "
        "(Riverside and Hillcrest) and its community services: triage, diagnostics support, clinical "
        "documentation, operational planning and patient communication. Out of scope: research "
        "projects run under a separate ethics approval and office productivity tools with no access "
        "to patient data. The Trust acts as a deployer of suppliers' AI systems and as the provider "
        "of the models its data science team builds."
    ),
}
NORTHWIND = {
    "organisation": "Northwind Retail Ltd",
    "name": "Northwind Retail",
    "scope_statement": "AI systems used in Northwind's online shop and supply chain.",
}


@dataclass
class Demo:
    """What each demo step gets: the two management systems, the demo users, and a log of what was created."""

    acme: ManagementSystem
    northwind: ManagementSystem
    users: dict[str, AbstractBaseUser]
    created: list[str] = field(default_factory=list)
    steps: dict[str, str] = field(default_factory=dict)

    @property
    def acme_users(self) -> dict[str, AbstractBaseUser]:
        return {name: self.users[name] for name in ACME_ROLE_KEYS}


def load(*, log: Callable[[str], None] = lambda message: None) -> Demo:
    """Create the demo users and management systems that are missing, then run every app's demo step."""
    with transaction.atomic():
        users = {name: _demo_user(name, first, last) for name, (_role, first, last, _title) in DEMO_PEOPLE.items()}
        created: list[str] = []
        acme = _acme(users, created)
        northwind, _new = _management_system(NORTHWIND, users["outsider"], created)
        _record_job_titles(northwind, users)
    demo = Demo(acme=acme, northwind=northwind, users=users, created=created)
    for step in hooks.demo_steps():
        with transaction.atomic():
            importlib.import_module(step.module).load(demo)
        demo.steps[step.module] = "loaded"
        log(f"{step.module}: loaded")
    return demo


def _demo_user(username: str, first_name: str, last_name: str) -> AbstractBaseUser:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@demo.example"},
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _management_system(
    spec: dict[str, str], owner: AbstractBaseUser, created: list[str]
) -> tuple[ManagementSystem, bool]:
    existing = ManagementSystem.objects.filter(organisation=spec["organisation"], name=spec["name"]).first()
    if existing is not None:
        return existing, False
    ms = services.management_system_create(user=owner, owner=owner, **spec)
    created.append(str(ms))
    return ms, True


def _acme(users: dict[str, AbstractBaseUser], created: list[str]) -> ManagementSystem:
    owner = users["owner"]
    acme, new = _management_system(ACME, owner, created)
    if new:
        services.management_system_update(
            acme,
            user=owner,
            expected_version=acme.version,
            reason="Scope agreed at the AIMS steering group",
            status=ManagementSystem.Status.OPERATING,
        )
    for username, (role, *_rest) in DEMO_PEOPLE.items():
        if role is None or role == Role.OWNER:
            continue
        expires = timezone.now() + timedelta(days=AUDITOR_ACCESS_DAYS) if role == Role.AUDITOR else None
        _ensure_member(acme, owner, users[username], role, expires)
    _record_job_titles(acme, users)
    return acme


def _record_job_titles(ms: ManagementSystem, users: dict[str, AbstractBaseUser]) -> None:
    """Each member's job title, recorded with their signatures."""
    for membership in Membership.objects.filter(management_system=ms, job_title="").select_related("user"):
        title = DEMO_PEOPLE.get(membership.user.get_username(), (None, "", "", ""))[3]
        if title:
            services.membership_set_job_title(membership, actor=membership.user, job_title=title)


def _ensure_member(
    ms: ManagementSystem, actor: AbstractBaseUser, user: AbstractBaseUser, role: str, expires_at
) -> None:
    if not Membership.objects.filter(management_system=ms, user=user).exists():
        services.membership_add(management_system=ms, actor=actor, user=user, role=role, expires_at=expires_at)
