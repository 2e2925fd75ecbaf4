"""confirmDocumentUpload: size, magic bytes per kind, quarantine, concurrency, bad input."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from storage.models.documents import Document, DocumentStatus
from tests.conftest import RunningApp
from tests.documents.conftest import (
    EICAR,
    jpeg,
    objects_root,
    ofd,
    pdf,
    png,
    post_form,
    signed_in,
    stored_files,
)


async def test_the_upload_journey_ends_with_an_available_document(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    data = jpeg(4000)

    result = await program.upload_document("ID_CARD_FRONT", "身份证正面.jpg", "image/jpeg", data)

    assert result["upload"] == 204
    confirmed = result["confirm"]
    assert confirmed["__typename"] == "Document"
    assert confirmed["status"] == "AVAILABLE"
    assert confirmed["trustLevel"] == "C"
    assert confirmed["contentType"] == "image/jpeg"
    row = await Document.get()
    # Out of quarantine, under a key made of ids only.
    assert stored_files(objects_root(running)) == [f"documents/{row.owner_id}/{row.id}"]
    download = await running.client.get(confirmed["downloadUrl"])
    assert download.status_code == 200
    # A photo is stored re-encoded without metadata: size and hash are the stored copy's,
    # the upload's hash is kept beside them.
    assert confirmed["size"] == len(download.content) < len(data)
    assert confirmed["sha256"] == hashlib.sha256(download.content).hexdigest()
    assert row.original_sha256 == hashlib.sha256(data).hexdigest()
    assert row.original_size == len(data)
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "%E8%BA%AB%E4%BB%BD%E8%AF%81" in download.headers["content-disposition"]


@pytest.mark.parametrize(
    ("kind", "content_type", "data"),
    [
        ("PHOTO", "image/png", png()),
        ("HOUSEHOLD_REGISTER", "application/pdf", pdf()),
        ("BUSINESS_LICENCE", "application/ofd", ofd()),
        ("OTHER", "image/jpeg", jpeg()),
    ],
)
async def test_each_allowed_format_is_recognised(
    running: RunningApp, wechat: httpx.AsyncClient, kind: str, content_type: str, data: bytes
) -> None:
    program = await signed_in(running, wechat, "a")

    result = await program.upload_document(kind, "file", content_type, data)

    assert result["confirm"]["status"] == "AVAILABLE", result
    assert result["confirm"]["contentType"] == content_type


@pytest.mark.parametrize(
    ("kind", "content_type", "data"),
    [
        ("ID_CARD_FRONT", "image/jpeg", png()),  # a PNG claiming to be a JPEG
        ("ID_CARD_FRONT", "image/jpeg", pdf()),
        ("PHOTO", "image/png", b"<svg xmlns='http://www.w3.org/2000/svg'/>" + b" " * 100),
        ("OTHER", "application/pdf", b"MZ\x90\x00" + b"\x00" * 200),  # a Windows executable
        ("OTHER", "application/ofd", ofd(entry="word/document.xml")),  # a ZIP, not an OFD
        ("HOUSEHOLD_REGISTER", "application/pdf", EICAR),
    ],
)
async def test_bytes_that_are_not_what_they_claim_are_rejected_and_deleted(
    running: RunningApp, wechat: httpx.AsyncClient, kind: str, content_type: str, data: bytes
) -> None:
    program = await signed_in(running, wechat, "a")

    result = await program.upload_document(kind, "x", content_type, data)

    assert result["upload"] == 204
    assert result["confirm"]["__typename"] == "ConfirmDocumentUploadError"
    assert result["confirm"]["code"] == "TYPE_MISMATCH"
    row = await Document.get()
    assert row.status is DocumentStatus.REJECTED
    assert row.rejection_reason == "TYPE_MISMATCH"
    assert stored_files(objects_root(running)) == []
    again = await program.confirm_upload(result["ticket"]["documentId"])
    assert again["code"] == "DOCUMENT_REJECTED"


async def test_a_file_that_was_never_uploaded_cannot_be_confirmed(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    ticket = await program.request_upload("PHOTO", "me.jpg", "image/jpeg", 1000)

    result = await program.confirm_upload(ticket["documentId"])

    assert result["code"] == "NOT_UPLOADED"
    assert (await Document.get()).status is DocumentStatus.PENDING  # it may still come
    # Once the ticket has expired, confirming gives up on it and removes the row.
    await Document.all().update(upload_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    expired = await program.confirm_upload(ticket["documentId"])
    assert expired["code"] == "UPLOAD_EXPIRED"
    assert await Document.all().count() == 0


async def test_someone_else_cannot_confirm_my_upload(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await signed_in(running, wechat, "owner")
    other = await signed_in(running, wechat, "other")
    ticket = await owner.request_upload("PHOTO", "me.jpg", "image/jpeg", 2048)
    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    await owner.wx_upload_file(ticket["url"], fields, "me.jpg", jpeg())

    result = await other.confirm_upload(ticket["documentId"])

    assert result["code"] == "NOT_FOUND"  # not "forbidden": existence is not revealed
    assert (await Document.get()).status is DocumentStatus.PENDING
    assert (await owner.confirm_upload(ticket["documentId"]))["status"] == "AVAILABLE"


async def test_confirming_twice_returns_the_same_document(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    result = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())

    again = await program.confirm_upload(result["ticket"]["documentId"])

    assert again == result["confirm"] | {"downloadUrl": again["downloadUrl"]}


async def test_two_confirmations_at_once_leave_one_correct_document(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    data = jpeg(300_000)
    ticket = await program.request_upload("PHOTO", "me.jpg", "image/jpeg", len(data))
    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    await program.wx_upload_file(ticket["url"], fields, "me.jpg", data)

    results = await asyncio.gather(
        *(program.confirm_upload(ticket["documentId"]) for _ in range(4))
    )

    outcomes = {r.get("status") or r.get("code") for r in results}
    assert "AVAILABLE" in outcomes
    assert outcomes <= {"AVAILABLE", "CONFIRMATION_IN_PROGRESS"}
    row = await Document.get()
    assert row.status is DocumentStatus.AVAILABLE
    assert row.original_sha256 == hashlib.sha256(data).hexdigest()
    assert row.confirming_until is None
    assert stored_files(objects_root(running)) == [f"documents/{row.owner_id}/{row.id}"]


async def test_storage_down_is_a_clear_error_within_two_seconds(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    ticket = await program.request_upload("PHOTO", "me.jpg", "image/jpeg", 2048)
    await post_form(running.client, ticket, jpeg())
    root = objects_root(running)
    root.rename(root.with_name("objects-away"))  # the volume went away

    started = asyncio.get_running_loop().time()
    result = await program.confirm_upload(ticket["documentId"])
    elapsed = asyncio.get_running_loop().time() - started
    ready = await running.client.get("/readyz")

    assert result["code"] == "STORAGE_UNAVAILABLE"
    assert elapsed < 2
    assert ready.status_code == 503
    assert ready.json()["down"] == ["storage"]
    row = await Document.get()
    assert row.status is DocumentStatus.PENDING
    assert row.confirming_until is None  # free to be confirmed when storage is back
    root.with_name("objects-away").rename(root)
    assert (await program.confirm_upload(ticket["documentId"]))["status"] == "AVAILABLE"
