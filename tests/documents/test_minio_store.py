"""The S3 adapter against a real MinIO server, when one is reachable
(RONGBAN_TEST_S3_ENDPOINT, with RONGBAN_TEST_S3_ACCESS_KEY / RONGBAN_TEST_S3_SECRET_KEY):
the upload journey of test_s3_store.py, where MinIO also checks the signatures and the POST
policy that moto does not. Each test uses a bucket of its own and removes it."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from minio import Minio

from mock_wechat.client import MiniProgram
from storage.models.documents import Document
from tests.conftest import RunningApp, start_app
from tests.documents.conftest import jpeg

ENDPOINT = os.environ.get("RONGBAN_TEST_S3_ENDPOINT", "")
ACCESS = os.environ.get("RONGBAN_TEST_S3_ACCESS_KEY", "minioadmin")
SECRET = os.environ.get("RONGBAN_TEST_S3_SECRET_KEY", "minioadmin")

pytestmark = pytest.mark.skipif(not ENDPOINT, reason="RONGBAN_TEST_S3_ENDPOINT is not set")


def _client() -> Minio:
    secure = ENDPOINT.startswith("https://")
    host = ENDPOINT.removeprefix("https://").removeprefix("http://").rstrip("/")
    return Minio(host, access_key=ACCESS, secret_key=SECRET, secure=secure, region="us-east-1")


@pytest.fixture
async def minio_running(settings_factory: Any, mock_state: Any) -> AsyncIterator[RunningApp]:
    bucket = f"rongban-test-{uuid.uuid4().hex[:12]}"
    settings = settings_factory(
        storage_url=f"s3://{bucket}",
        s3_endpoint=ENDPOINT,
        s3_region="us-east-1",
        s3_access_key=ACCESS,
        s3_secret_key=SECRET,
    )
    try:
        async for running in start_app(settings):
            yield running
    finally:
        client = _client()
        if client.bucket_exists(bucket):
            for item in client.list_objects(bucket, recursive=True):
                client.remove_object(bucket, item.object_name)
            client.remove_bucket(bucket)


async def test_the_upload_journey_works_against_minio(
    minio_running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = MiniProgram(minio_running.client, wechat, "minio-user")
    await program.login()
    data = jpeg(70_000)

    result = await program.upload_document("ID_CARD_BACK", "背面.jpg", "image/jpeg", data)

    assert result["upload"] == 204
    assert result["confirm"]["status"] == "AVAILABLE", result
    row = await Document.get()
    bucket = minio_running.settings.s3_bucket
    assert bucket is not None
    keys = [o.object_name for o in _client().list_objects(bucket, recursive=True)]
    assert keys == [row.object_key]
    async with httpx.AsyncClient() as phone:
        download = await phone.get(result["confirm"]["downloadUrl"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == result["confirm"]["sha256"]
    # MinIO checks signatures: a tampered download URL is refused.
    async with httpx.AsyncClient() as phone:
        tampered = await phone.get(
            result["confirm"]["downloadUrl"].replace("X-Amz-Signature=", "X-Amz-Signature=0")
        )
    assert tampered.status_code == 403
