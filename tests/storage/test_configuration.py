"""AIMS_STORAGE_URL: what it switches, what it refuses; the local storage's whole-or-nothing writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile, File

from aims.files import LocalFileStorage
from aims.storage_url import StorageUrlError, storages_for

ROOT = Path(settings.BASE_DIR)


def test_unset_keeps_the_local_folders():
    found = storages_for("")
    assert found["default"] == {"BACKEND": "aims.files.LocalFileStorage"}
    assert found["packs"]["OPTIONS"] == {"location_setting": "AIMS_PACK_DIR"}


def test_an_s3_url_gives_private_s3_storages_under_its_prefix():
    found = storages_for("s3://aims-files/prod/eu?endpoint_url=https://s3.example.org&region=eu-west-1")
    default, packs = found["default"], found["packs"]
    assert default["BACKEND"] == packs["BACKEND"] == "storages.backends.s3.S3Storage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "aims-files" and options["location"] == "prod/eu"
    assert packs["OPTIONS"]["location"] == "prod/eu/packs"
    assert options["endpoint_url"] == "https://s3.example.org" and options["region_name"] == "eu-west-1"
    assert options["default_acl"] == "private" and options["querystring_auth"] is False
    assert options["file_overwrite"] is True
    assert not {"access_key", "secret_key", "security_token"} & set(options), "credentials come from boto3's chain"
    assert storages_for("s3://aims-files")["packs"]["OPTIONS"]["location"] == "packs"


@pytest.mark.parametrize(
    "url,message",
    [
        ("s3://key:secret@aims-files/prod", "must not hold credentials"),
        ("s3://key@aims-files/prod", "must not hold credentials"),
        ("gs://aims-files/prod", "must start with s3://"),
        ("s3:///prod", "names no bucket"),
        ("s3://aims-files/a/../b", "'..'"),
        ("s3://aims-files/prod?acl=public-read", "unknown parameter 'acl'"),
    ],
)
def test_a_wrong_url_is_refused_with_a_reason(url, message):
    with pytest.raises(StorageUrlError, match=message.replace("(", r"\(")) as error:
        storages_for(url)
    assert "secret" not in str(error.value)


def test_the_settings_read_the_variable_and_refuse_credentials_at_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIMS_", "DJANGO_", "CELERY_"))}
    env.update(DJANGO_SETTINGS_MODULE="aims.settings", AIMS_VAR_DIR=str(tmp_path))
    show = "import django; from django.conf import settings as s; django.setup(); print(s.STORAGES['packs'])"
    ok = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT,
        env={**env, "AIMS_STORAGE_URL": "s3://aims-files/p?region=eu-west-1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "S3Storage" in ok.stdout and "'location': 'p/packs'" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-c", show],
        cwd=ROOT,
        env={**env, "AIMS_STORAGE_URL": "s3://AKIA:topsecret@aims-files/p"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode != 0 and "ImproperlyConfigured" in bad.stderr and "must not hold credentials" in bad.stderr
    assert "topsecret" not in bad.stderr


# --- the local storage ---------------------------------------------------------------------------


class Breaking(File):
    """Content whose reading fails half-way, as a worker killed mid-write."""

    def chunks(self, chunk_size=None):
        yield b"%PDF-1.7 first half"
        raise OSError("killed half-way")


def test_a_local_write_is_whole_or_nothing_and_a_name_written_again_is_replaced(tmp_path):
    storage = LocalFileStorage(location=tmp_path)
    assert storage.save("3/pack.pdf", ContentFile(b"first")) == "3/pack.pdf"
    with pytest.raises(OSError, match="killed"):
        storage.save("3/pack.pdf", Breaking(None, name="pack.pdf"))
    assert (tmp_path / "3" / "pack.pdf").read_bytes() == b"first", "the old file stays whole"
    assert storage.save("3/new.pdf", ContentFile(b"")) == "3/new.pdf"
    with pytest.raises(OSError):
        storage.save("3/other.pdf", Breaking(None, name="other.pdf"))
    assert sorted(p.name for p in (tmp_path / "3").iterdir()) == ["new.pdf", "pack.pdf"], "no half file, no temp"
    assert storage.save("3/pack.pdf", ContentFile(b"second")) == "3/pack.pdf"
    assert (tmp_path / "3" / "pack.pdf").read_bytes() == b"second"
    assert oct((tmp_path / "3" / "pack.pdf").stat().st_mode & 0o777) == oct(settings.FILE_UPLOAD_PERMISSIONS)


def test_the_local_storage_follows_its_setting(settings, tmp_path):
    storage = LocalFileStorage(location_setting="AIMS_PACK_DIR")
    settings.AIMS_PACK_DIR = tmp_path / "one"
    storage.save("a.txt", ContentFile(b"1"))
    settings.AIMS_PACK_DIR = tmp_path / "two"
    storage.save("a.txt", ContentFile(b"2"))
    assert (tmp_path / "one" / "a.txt").read_bytes() == b"1" and (tmp_path / "two" / "a.txt").read_bytes() == b"2"
