"""Where files live, from one setting: ``AIMS_STORAGE_URL``.

Every file the register keeps (evidence, rendered packs and their bundles, anchor logs,
the readiness probe) goes through Django's storage API, in one of two storages:
``default`` (evidence, anchors, probes) and ``packs`` (rendered packs and bundles).

- Unset (the default): both on the local file system, ``MEDIA_ROOT`` and ``AIMS_PACK_DIR``,
  with ``aims.files.LocalFileStorage`` (a write becomes visible whole or not at all).
- ``s3://bucket/prefix?endpoint_url=https://s3.example.org&region=eu-west-1``: both in one
  S3-compatible bucket, ``default`` under ``prefix/`` and ``packs`` under ``prefix/packs/``
  (the same layout as the local folders). Objects are private; no signed links are ever
  handed out: every download goes through the web process, which checks the permission
  and streams the object. Credentials never go in the URL: boto3 reads them from
  ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` (or an instance role, a profile...).

This module imports nothing from Django: the settings call it while they load.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

LOCAL_BACKEND = "aims.files.LocalFileStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"
# Larger objects read from S3 spill from memory to a temporary file (bytes).
S3_MAX_MEMORY = 2 * 1024 * 1024
# Query parameters of the URL and the S3Storage option each one sets.
S3_PARAMETERS = {
    "endpoint_url": "endpoint_url",
    "region": "region_name",
    "region_name": "region_name",
    "addressing_style": "addressing_style",
    "signature_version": "signature_version",
}


class StorageUrlError(ValueError):
    """AIMS_STORAGE_URL cannot be understood (the settings raise ImproperlyConfigured with it)."""


def storages_for(url: str) -> dict[str, dict[str, Any]]:
    """The ``default`` and ``packs`` entries of ``STORAGES`` for ``AIMS_STORAGE_URL`` (empty: local folders)."""
    url = (url or "").strip()
    if not url:
        return {
            "default": {"BACKEND": LOCAL_BACKEND},
            "packs": {"BACKEND": LOCAL_BACKEND, "OPTIONS": {"location_setting": "AIMS_PACK_DIR"}},
        }
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise StorageUrlError(f"AIMS_STORAGE_URL must start with s3:// (got {parts.scheme or 'no scheme'}).")
    if parts.username or parts.password or "@" in parts.netloc:
        raise StorageUrlError(
            "AIMS_STORAGE_URL must not hold credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead."
        )
    bucket = parts.hostname or ""
    if not bucket:
        raise StorageUrlError("AIMS_STORAGE_URL names no bucket: s3://bucket/optional/prefix.")
    prefix = "/".join(segment for segment in parts.path.split("/") if segment)
    if any(segment in (".", "..") for segment in prefix.split("/")):
        raise StorageUrlError("AIMS_STORAGE_URL's prefix must not hold '.' or '..' segments.")
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "default_acl": "private",  # whatever the bucket's default, objects are never public
        "querystring_auth": False,  # url() never hands out a signed link; downloads go through the web process
        "file_overwrite": True,  # a name is written again in place (anchor logs, a pack's retry)
        "max_memory_size": S3_MAX_MEMORY,
    }
    for key, values in parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)).items():
        if key not in S3_PARAMETERS:
            known = ", ".join(sorted(S3_PARAMETERS))
            raise StorageUrlError(f"AIMS_STORAGE_URL has an unknown parameter {key!r} (known: {known}).")
        options[S3_PARAMETERS[key]] = values[-1]
    return {
        "default": {"BACKEND": S3_BACKEND, "OPTIONS": {**options, "location": prefix}},
        "packs": {"BACKEND": S3_BACKEND, "OPTIONS": {**options, "location": f"{prefix}/packs".lstrip("/")}},
    }
