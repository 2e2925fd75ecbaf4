"""The S3 adapter against moto's S3 server on loopback: real HTTP, the real minio SDK, and
the multipart POST that wx.uploadFile sends. (moto checks no signatures or policies; the
local-store tests do.)"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from minio import Minio

from mock_wechat.client import MiniProgram
from resolvers.documents.service import sweep_expired_tickets
from storage.models.documents import Document, DocumentStatus
from storage.objects import MAX_TICKET_FIELDS
from tests.conftest import RunningApp, start_app
from tests.documents.conftest import BUCKET, count_rows, jpeg, pdf, png


def _minio(moto_url: str) -> Minio:
    return Minio(
        moto_url.removeprefix("http://"),
        access_key="rongban-test-access",
        secret_key="rongban-test-secret",
        secure=False,
        region="us-east-1",
    )


def _keys(moto_url: str) -> list[str]:
    return sorted(o.object_name for o in _minio(moto_url).list_objects(BUCKET, recursive=True))


async def _program(running: RunningApp, wechat: httpx.AsyncClient) -> MiniProgram:
    # uploads=None: wx.uploadFile goes over real HTTP to the S3 server, as from a phone.
    program = MiniProgram(running.client, wechat, "s3-user")
    await program.login()
    return program


async def test_the_upload_journey_works_against_s3(
    s3_running: RunningApp, wechat: httpx.AsyncClient, moto_url: str
) -> None:
    program = await _program(s3_running, wechat)
    data = jpeg(70_000)

    result = await program.upload_document("ID_CARD_BACK", "背面.jpg", "image/jpeg", data)

    assert result["ticket"]["url"] == f"{moto_url}/{BUCKET}"
    assert result["upload"] == 204
    assert result["confirm"]["status"] == "AVAILABLE", result
    row = await Document.get()
    assert row.original_sha256 == hashlib.sha256(data).hexdigest()
    assert _keys(moto_url) == [f"documents/{row.owner_id}/{row.id}"]  # quarantine emptied
    stat = _minio(moto_url).stat_object(BUCKET, row.object_key)
    assert stat.size == row.size == result["confirm"]["size"]
    assert stat.metadata is not None
    assert stat.metadata.get("x-amz-server-side-encryption") == "AES256"
    async with httpx.AsyncClient() as phone:
        download = await phone.get(result["confirm"]["downloadUrl"])
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == result["confirm"]["sha256"]
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "X-Amz-Expires=300" in result["confirm"]["downloadUrl"]


async def test_the_post_policy_pins_key_type_size_and_expiry(
    s3_running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await _program(s3_running, wechat)

    ticket = await program.request_upload("PHOTO", "me.png", "image/png", 5000)

    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    policy = json.loads(base64.b64decode(fields["policy"]))
    conditions = policy["conditions"]
    row = await Document.get()
    assert ["eq", "$key", f"quarantine/{row.owner_id}/{row.id}"] in conditions
    assert ["eq", "$Content-Type", "image/png"] in conditions
    assert ["content-length-range", 1, 5000] in conditions
    assert ["eq", "$x-amz-server-side-encryption", "AES256"] in conditions
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 0 < (expiration - datetime.now(UTC)).total_seconds() <= 600
    assert fields["key"] == f"quarantine/{row.owner_id}/{row.id}"
    assert len(ticket["fields"]) <= MAX_TICKET_FIELDS  # what DocumentUploadTicket declares


async def test_a_mismatching_file_is_rejected_and_deleted_from_s3(
    s3_running: RunningApp, wechat: httpx.AsyncClient, moto_url: str
) -> None:
    program = await _program(s3_running, wechat)

    result = await program.upload_document("ID_CARD_FRONT", "x.jpg", "image/jpeg", png())

    assert result["confirm"]["code"] == "TYPE_MISMATCH"
    assert (await Document.get()).status is DocumentStatus.REJECTED
    assert _keys(moto_url) == []


async def test_a_file_never_uploaded_to_s3_is_not_confirmed(
    s3_running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await _program(s3_running, wechat)
    ticket = await program.request_upload("OTHER", "x.pdf", "application/pdf", 3000)

    result = await program.confirm_upload(ticket["documentId"])

    assert result["code"] == "NOT_UPLOADED"


async def test_a_larger_file_than_declared_is_rejected_at_confirmation(
    s3_running: RunningApp, wechat: httpx.AsyncClient, moto_url: str
) -> None:
    # moto ignores content-length-range (S3 and MinIO answer 400): confirmation catches it.
    program = await _program(s3_running, wechat)
    ticket = await program.request_upload("OTHER", "x.pdf", "application/pdf", 3000)
    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    uploaded = await program.wx_upload_file(ticket["url"], fields, "x.pdf", pdf(9000))

    result = await program.confirm_upload(ticket["documentId"])

    assert uploaded.status_code == 204
    assert result["code"] == "FILE_TOO_LARGE"
    assert _keys(moto_url) == []


async def test_a_form_used_again_after_confirmation_is_swept(
    s3_running: RunningApp, wechat: httpx.AsyncClient, moto_url: str
) -> None:
    program = await _program(s3_running, wechat)
    result = await program.upload_document("PHOTO", "x.jpg", "image/jpeg", jpeg())
    fields = {f["name"]: f["value"] for f in result["ticket"]["fields"]}
    # An S3 POST form works until it expires: a second upload lands in quarantine again.
    await program.wx_upload_file(result["ticket"]["url"], fields, "x.jpg", jpeg())
    row = await Document.get()
    assert f"quarantine/{row.owner_id}/{row.id}" in _keys(moto_url)
    abandoned = await program.request_upload("PHOTO", "y.jpg", "image/jpeg", 2048)
    other = {f["name"]: f["value"] for f in abandoned["fields"]}
    await program.wx_upload_file(abandoned["url"], other, "y.jpg", jpeg())

    later = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1)
    closed = await sweep_expired_tickets(s3_running.resources.objects, now=later)

    assert closed == 2
    assert _keys(moto_url) == [f"documents/{row.owner_id}/{row.id}"]
    assert await count_rows("document") == 1  # the abandoned upload's row is gone too
    assert (await Document.get()).upload_expires_at is None
    assert await sweep_expired_tickets(s3_running.resources.objects, now=later) == 0


async def test_deleting_removes_every_object_of_the_document(
    s3_running: RunningApp, wechat: httpx.AsyncClient, moto_url: str
) -> None:
    program = await _program(s3_running, wechat)
    result = await program.upload_document("PHOTO", "x.jpg", "image/jpeg", jpeg())
    fields = {f["name"]: f["value"] for f in result["ticket"]["fields"]}
    await program.wx_upload_file(result["ticket"]["url"], fields, "x.jpg", jpeg())
    assert len(_keys(moto_url)) == 2  # the document, and a second upload in quarantine

    deleted = await program.delete_document(result["confirm"]["id"])

    assert deleted["__typename"] == "DeletedDocument"
    assert _keys(moto_url) == []
    assert await count_rows("document") == 0


def _silent_server() -> tuple[socket.socket, int]:
    """Accepts TCP connections (the kernel does) and never answers: a hung store."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock, int(sock.getsockname()[1])


@pytest.mark.parametrize("kind", ["hung", "refused"])
async def test_s3_down_is_storage_unavailable_within_two_seconds(
    s3_settings: Any, mock_state: Any, wechat: httpx.AsyncClient, kind: str
) -> None:
    silent, port = _silent_server()
    if kind == "refused":
        silent.close()
    try:
        settings = s3_settings(s3_endpoint=f"http://127.0.0.1:{port}")
        async for running in start_app(settings):
            program = await _program(running, wechat)
            loop = asyncio.get_running_loop()

            started = loop.time()
            result = await program.request_upload("PHOTO", "x.jpg", "image/jpeg", 100)
            elapsed = loop.time() - started
            ready = await running.client.get("/readyz")

            assert result["code"] == "STORAGE_UNAVAILABLE"
            assert elapsed < 2.5
            assert ready.status_code == 503
            assert "storage" in ready.json()["down"]
            assert await count_rows("document") == 0
    finally:
        silent.close()


async def test_confirming_while_s3_is_down_keeps_the_document_pending(
    s3_running: RunningApp, wechat: httpx.AsyncClient, moto_url: str
) -> None:
    program = await _program(s3_running, wechat)
    ticket = await program.request_upload("PHOTO", "x.jpg", "image/jpeg", 2048)
    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    await program.wx_upload_file(ticket["url"], fields, "x.jpg", jpeg())
    store = s3_running.resources.objects
    working = store.client
    silent, port = _silent_server()
    try:
        store.client = _minio(f"http://127.0.0.1:{port}")
        store.client._http.connection_pool_kw["timeout"] = working._http.connection_pool_kw[
            "timeout"
        ]
        loop = asyncio.get_running_loop()
        started = loop.time()
        result = await program.confirm_upload(ticket["documentId"])
        elapsed = loop.time() - started
    finally:
        silent.close()
        store.client = working

    assert result["code"] == "STORAGE_UNAVAILABLE"
    # Answered at the store's deadline, not at the SDK's read timeout (five times longer) or
    # never; the margin is for a loaded CI machine (2.52 s was seen against a 2 s deadline).
    assert elapsed < store.timeout + 2.0
    row = await Document.get()
    assert row.status is DocumentStatus.PENDING
    assert row.confirming_until is None
    assert (await program.confirm_upload(ticket["documentId"]))["status"] == "AVAILABLE"
