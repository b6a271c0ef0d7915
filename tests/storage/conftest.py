"""A real S3-compatible HTTP server for the storage tests: moto in server mode, on a free port.

The server runs in a thread of this test process and answers plain HTTP on 127.0.0.1, as
MinIO or AWS would: the register's boto3 client (and a real Celery worker's, in another
process) talk to it over the network. Each test gets its own prefix in one bucket, through
``AIMS_STORAGE_URL``'s own parsing (``aims.storage_url.storages_for``). The credentials are
fake and come from the environment, as in production.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from django.test import override_settings

from aims.storage_url import storages_for
from tests.packs.worker import start_worker, stop_worker

BUCKET = "aims-test"
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "aims-test-key", "AWS_SECRET_ACCESS_KEY": "aims-test-secret"}


@dataclass
class S3Server:
    endpoint: str

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION)

    def url(self, prefix: str) -> str:
        return f"s3://{BUCKET}/{prefix}?endpoint_url={self.endpoint}&region={REGION}"

    def objects(self, prefix: str) -> dict[str, bytes]:
        """Every object under ``prefix/``, by key, with its bytes."""
        client = self.client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{prefix}/"):
            for item in page.get("Contents", []):
                found[item["Key"]] = client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read()
        return found


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free port, with one empty bucket; fake credentials in the environment."""
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        s3 = S3Server(endpoint=f"http://{host}:{port}")
        s3.client().create_bucket(Bucket=BUCKET)
        yield s3
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class ObjectStorage:
    server: S3Server
    prefix: str
    url: str
    media: Path  # the local MEDIA_ROOT, which must stay empty
    pack_dir: Path

    def objects(self) -> dict[str, bytes]:
        return self.server.objects(self.prefix)

    def local_files(self) -> list[Path]:
        return [p for root in (self.media, self.pack_dir) if root.exists() for p in root.rglob("*")]


@pytest.fixture
def object_storage(s3_server, settings):
    """Point this test's storages at the S3 server (``AIMS_STORAGE_URL``), under a prefix of its own."""
    prefix = f"t-{uuid.uuid4().hex[:12]}"
    url = s3_server.url(prefix)
    settings.STORAGES = {**settings.STORAGES, **storages_for(url)}
    storage = ObjectStorage(s3_server, prefix, url, Path(settings.MEDIA_ROOT), Path(settings.AIMS_PACK_DIR))
    yield storage
    assert storage.local_files() == [], "a file was written to the local folders while S3 was configured"


@pytest.fixture(scope="session")
def s3_worker(django_db_setup, tmp_path_factory, s3_server):
    """A real Celery worker (another process) whose storages are the S3 server, under a prefix of the session."""
    prefix = f"w-{uuid.uuid4().hex[:12]}"
    url = s3_server.url(prefix)
    worker = start_worker(tmp_path_factory.mktemp("s3-worker"), env={"AIMS_STORAGE_URL": url, **CREDENTIALS})
    try:
        with override_settings(AIMS_PACK_QUEUE=worker.queue):
            yield worker, prefix, url
    finally:
        stop_worker(worker)


@pytest.fixture
def s3_worker_storage(s3_worker, s3_server, settings):
    """This test's web process shares the worker's queue and its object storage, as on separate machines.

    The worker's own local media folder (``worker.media``) must stay empty, like the web's.
    """
    worker, prefix, url = s3_worker
    settings.AIMS_PACK_QUEUE = worker.queue
    settings.STORAGES = {**settings.STORAGES, **storages_for(url)}
    return worker, ObjectStorage(s3_server, prefix, url, Path(settings.MEDIA_ROOT), worker.media)
