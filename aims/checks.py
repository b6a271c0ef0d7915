"""Deployment checks of the core: the signing key is configured, not generated on one machine."""

from __future__ import annotations

from typing import Any

from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def signing_key_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from aims import signing

    if not signing.uses_generated_key_file():
        return []
    return [
        checks.Warning(
            "The register's signing key is a file generated on this machine (AIMS_SIGNING_KEY_FILE's default): "
            "another web or worker process would generate another key, and losing the file makes earlier "
            "signatures unverifiable.",
            hint="Generate one key with `manage.py signing_key --new`, keep it in your secret store and give it to "
            "every process as AIMS_SIGNING_KEY (or a shared AIMS_SIGNING_KEY_FILE).",
            id="aims.W001",
        )
    ]


@checks.register(checks.Tags.security)
def signing_key_readable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A key that cannot be read would stop every sign-off and every pack: say so at start-up."""
    from aims import signing

    try:
        signing.private_key()
    except (signing.SigningKeyError, OSError) as error:
        return [
            checks.Error(
                str(error),
                hint="Set AIMS_SIGNING_KEY to an unencrypted Ed25519 private key in PEM "
                "(`manage.py signing_key --new` prints one), or point AIMS_SIGNING_KEY_FILE at such a file.",
                id="aims.E001",
            )
        ]
    return []
