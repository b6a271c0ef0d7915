from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class AimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "aims"
    verbose_name = "AI management system"

    def ready(self) -> None:
        from aims import access, checks, pack_gather  # noqa: F401  (checks registers the deploy checks)
        from aims.accounts import middleware, security_log

        pack_gather.register()
        security_log.connect()
        middleware.connect()
        # A permission added to a role reaches every existing management system.
        post_migrate.connect(access.sync_role_permissions_after_migrate, sender=self)
        # A per-object grant held outside the contributor role (left from before it was enforced) ends.
        post_migrate.connect(access.revoke_grants_after_migrate, sender=self)


class SuperuserAdminConfig(AdminConfig):
    """The admin, open to active superusers only (members use the register's own pages)."""

    default_site = "aims.admin_site.SuperuserAdminSite"
