"""The management system itself: organisations' AIMS, memberships and the register base."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from aims.history import RegisterHistory


class ManagementSystem(models.Model):
    """One organisation's AI management system (clause 4.3 scope lives here)."""

    class Status(models.TextChoices):
        SETTING_UP = "setting_up", "Setting up"
        OPERATING = "operating", "Operating"
        CERTIFIED = "certified", "Certified"
        RETIRED = "retired", "Retired"

    organisation = models.CharField(max_length=200)
    name = models.CharField(max_length=200)
    scope_statement = models.TextField(
        blank=True, help_text="Clause 4.3: boundaries, AI systems, sites and exclusions."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SETTING_UP)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)
    history = RegisterHistory()

    class Meta:
        ordering = ["organisation", "name"]
        permissions = [
            ("view_registers", "Read every register of the management system"),
            ("edit_registers", "Create and edit every register of the management system"),
            ("manage_members", "Manage members and their roles"),
            ("sign_off", "Sign off on behalf of top management"),
            ("request_pack", "Request and download audit packs"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.name}"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    OFFICER = "officer", "Compliance officer"
    LEADERSHIP = "leadership", "Leadership"
    CONTRIBUTOR = "contributor", "Contributor"
    AUDITOR = "auditor", "Auditor"


class Membership(models.Model):
    """A user's role in one management system; an auditor's access ends at expires_at."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="aims_memberships")
    management_system = models.ForeignKey(ManagementSystem, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    job_title = models.CharField(
        max_length=120,
        blank=True,
        help_text="The member's job title in this organisation, recorded with every signature they give.",
    )
    history = RegisterHistory()

    class Meta:
        ordering = ["management_system", "role", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "management_system"], name="one_membership_per_user_and_aims")
        ]

    def __str__(self) -> str:
        return f"{self.user} as {self.get_role_display()} in {self.management_system}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class Invitation(models.Model):
    """An invitation to join a management system with a role; the invitee accepts it (consent).

    The link sent by e-mail carries a one-time token of which only the SHA-256 is stored.
    An invitation is pending until it is accepted, declined, withdrawn or expires.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Withdrawn"
        EXPIRED = "expired", "Expired"

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail address")
    role = models.CharField(max_length=20, choices=Role.choices)
    access_ends_at = models.DateTimeField(
        null=True, blank=True, help_text="When the membership it grants ends (an auditor's access)."
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(help_text="The link stops working at this moment.")
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    history = RegisterHistory(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["management_system", "-created_at"]
        indexes = [models.Index(fields=["email"], name="aims_invitation_email")]

    def __str__(self) -> str:
        return f"Invitation of {self.email} as {self.get_role_display()} to {self.management_system}"

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.declined_at is not None:
            return self.State.DECLINED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    @property
    def is_pending(self) -> bool:
        return self.state == self.State.PENDING

    def get_state_display(self) -> str:
        return self.State(self.state).label


class ManagementSystemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ManagementSystem, on_delete=models.CASCADE)


class ManagementSystemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ManagementSystem, on_delete=models.CASCADE)


class ApiToken(models.Model):
    """A bearer token for tools; only its SHA-256 is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(help_text="The token stops working at this moment.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


class RegisterModel(models.Model):
    """Base of every register row: one management system, a reference, a version, history."""

    reference_prefix = "REG"
    # Reverse relations whose rows are part of the record (a risk's treatment actions): they go
    # with it and do not count as something that refers to it.
    owned_children: tuple[str, ...] = ()
    # The fields people edit, in the order forms show them: the one list a register's form,
    # serializer and services take (``link_fields`` are its many-to-many links).
    editable_fields: tuple[str, ...] = ()

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=20, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    history = RegisterHistory(inherit=True)

    class Meta:
        abstract = True
        ordering = ["reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["management_system", "reference"],
                name="%(app_label)s_%(class)s_unique_reference",
            )
        ]

    def __str__(self) -> str:
        label = getattr(self, "name", "") or getattr(self, "title", "")
        return f"{self.reference} {label}".strip()

    @classmethod
    def link_fields(cls) -> tuple[str, ...]:
        """The editable many-to-many links (written with the row, in the same version)."""
        return tuple(name for name in cls.editable_fields if cls._meta.get_field(name).many_to_many)


class ReferenceCounter(models.Model):
    """The highest reference number taken (or ever used) of one register in one management system.

    ``aims.services.next_reference`` reads it instead of every past reference: every number up
    to ``last`` is taken or was used, so the next free one is found by a few indexed lookups.
    A cache that can always be rebuilt from the history (``aims.services.highest_reference``).
    """

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.CASCADE, related_name="+")
    register = models.CharField(max_length=100, help_text="The register's model, as app_label.model_name.")
    prefix = models.CharField(max_length=20)
    last = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["management_system", "register", "prefix"], name="aims_one_reference_counter_per_register"
            )
        ]

    def __str__(self) -> str:
        return f"{self.register} {self.prefix}-{self.last:03d}"


class RetirableModel(RegisterModel):
    """A register row that is retired (or withdrawn) with a reason once anything refers to it, never deleted.

    Retiring is a history version like any change; a retired record stays readable with its
    history and is listed under "Closed or withdrawn". ``retire_verb`` names the act for the
    record's users ("Retire" an AI system, "Withdraw" a risk).
    """

    retire_verb = "Retire"
    retired_label = "Retired"

    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_reason = models.CharField("reason for retiring", max_length=300, blank=True, editable=False)

    class Meta(RegisterModel.Meta):
        abstract = True

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class AppendOnlyError(Exception):
    """An attempt to change or remove an append-only record."""


class SignOffQuerySet(models.QuerySet):
    """Sign-offs are append-only: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise AppendOnlyError("Sign-offs are append-only: they cannot be updated.")

    def delete(self):
        raise AppendOnlyError("Sign-offs are append-only: they cannot be deleted.")


class SignOff(models.Model):
    """A signature bound to one historical version of a record, chained per management system.

    Written only by ``aims.ledger.sign_off``; see that module for the digest and chain.
    """

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.PROTECT, related_name="sign_offs")
    sequence = models.PositiveIntegerField(help_text="Position in the management system's chain, from 1.")
    kind = models.CharField(max_length=40, help_text="What was signed, e.g. soa, risk_acceptance.")
    subject_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    versions = models.JSONField(
        default=list, help_text="The signed historical versions: [model label, history id] pairs."
    )
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sign_offs")
    signer_role = models.CharField(max_length=20, blank=True)
    signer_title = models.CharField(
        max_length=120, blank=True, help_text="The signer's job title at the moment of signing (canonical format 6)."
    )
    statement = models.TextField()
    signed_at = models.DateTimeField()
    previous_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)
    canonical_format = models.PositiveSmallIntegerField(
        default=1, help_text="The canonical JSON format the digest was computed in (see aims.ledger)."
    )
    verification = models.CharField(
        max_length=20, blank=True, help_text="How the signer was verified at the moment of signing (aims.mfa)."
    )
    override_reason = models.TextField(
        blank=True, help_text="Why the last editor of what is signed signed it themselves (four-eyes override)."
    )
    signature = models.CharField(
        max_length=100,
        blank=True,
        help_text="Ed25519 signature of the digest by the register's signing key (aims.signing), base64; "
        "empty for sign-offs made before signing existed.",
    )

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["management_system", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["management_system", "sequence"], name="aims_signoff_unique_sequence")
        ]
        indexes = [models.Index(fields=["kind", "subject_type", "subject_id"], name="aims_signoff_subject")]

    def __str__(self) -> str:
        return f"Sign-off #{self.sequence} ({self.kind}, {self.signed_at:%Y-%m-%d})"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Sign-offs are append-only: they cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Sign-offs are append-only: they cannot be deleted.")

    @property
    def signer_display_name(self) -> str:
        return self.signer.get_full_name() or self.signer.get_username()

    @property
    def signer_capacity(self) -> str:
        """In what capacity the signer signed: their job title and app role at that moment."""
        role = Role(self.signer_role).label.lower() if self.signer_role in Role.values else self.signer_role
        role_text = f"{role} in the register" if role else ""
        return ", ".join(part for part in (self.signer_title, role_text) if part)


class LedgerCheck(models.Model):
    """One background verification of a management system's sign-off chain (``aims.ledger.check_request``).

    The ledger page shows the latest one with its time instead of verifying on every visit; a
    daily task and the page's "verify now" add one each. A result store, not a register record.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Could not run"

    management_system = models.ForeignKey(ManagementSystem, on_delete=models.CASCADE, related_name="ledger_checks")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    ok = models.BooleanField(null=True, blank=True, help_text="Whether the chain verified (None until finished).")
    checked = models.PositiveIntegerField(default=0, help_text="Sign-offs checked.")
    signed = models.PositiveIntegerField(default=0)
    unsigned = models.PositiveIntegerField(default=0)
    first_broken = models.JSONField(null=True, blank=True, help_text="The first thing that did not verify.")
    anchor = models.JSONField(null=True, blank=True, help_text="The chain's latest readable anchor then.")
    failure = models.TextField(blank=True, help_text="Why the check could not run (not a verification result).")
    # The signatures this check verified, for the next one (aims.ledger.signatures_mac).
    signatures_through = models.PositiveIntegerField(default=0)
    signatures_mac = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["management_system", "-requested_at"], name="aims_ledgercheck_latest")]

    def __str__(self) -> str:
        return f"Ledger check {self.pk} of management system {self.management_system_id} ({self.status})"

    @property
    def result(self) -> dict:
        """The check's outcome in the shape ``aims.ledger.verify`` answers."""
        return {
            "ok": bool(self.ok),
            "checked": self.checked,
            "first_broken": self.first_broken,
            "signed": self.signed,
            "unsigned": self.unsigned,
            "anchor": self.anchor,
        }
