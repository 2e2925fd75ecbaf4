"""requestDocumentUpload: tickets, names, formats and the size, rate and wallet limits."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import httpx
import orjson
import pytest

from storage.models.documents import Document, DocumentStatus, TrustLevel
from tests.conftest import RunningApp, start_app
from tests.documents.conftest import count_rows, objects_root, signed_in, stored_files

MIB = 1024 * 1024


async def test_a_ticket_is_a_signed_post_form_for_one_quarantine_key(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")

    ticket = await program.request_upload("ID_CARD_FRONT", "id.jpg", "image/jpeg", 12345)

    assert ticket["__typename"] == "DocumentUploadTicket"
    assert ticket["url"].endswith("/uploads")
    fields = {f["name"]: f["value"] for f in ticket["fields"]}
    row = await Document.get()
    assert fields["key"] == f"quarantine/{row.owner_id}/{row.id}"
    assert fields["Content-Type"] == "image/jpeg"
    policy = orjson.loads(base64.urlsafe_b64decode(fields["policy"]))
    assert policy["max"] == 12345
    expires = datetime.fromisoformat(ticket["expiresAt"])
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= 600
    assert ticket["maxSize"] == 12345
    assert row.status is DocumentStatus.PENDING
    assert row.trust_level is TrustLevel.C
    assert row.file_name == "id.jpg"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\x.jpg", "x.jpg"),
        ("/var/objects/documents/other/x.jpg", "x.jpg"),
        ("a\x00b\r\nc\u202e.jpg", "abc.jpg"),
        ("  照片 .jpg  ", "照片 .jpg"),
        ("长" * 300 + ".jpg", "长" * 96 + ".jpg"),
    ],
)
async def test_file_names_lose_paths_and_control_characters(
    running: RunningApp, wechat: httpx.AsyncClient, raw: str, stored: str
) -> None:
    program = await signed_in(running, wechat, "a")

    ticket = await program.request_upload("PHOTO", raw, "image/jpeg", 100)

    assert ticket["__typename"] == "DocumentUploadTicket"
    row = await Document.get()
    assert row.file_name == stored
    # The key is ids only, whatever the name was.
    assert row.object_key == f"quarantine/{row.owner_id}/{row.id}"


@pytest.mark.parametrize("raw", ["../..", "/", "\x00\x01", "   ", "", "a" * 2000])
async def test_names_with_nothing_usable_are_refused(
    running: RunningApp, wechat: httpx.AsyncClient, raw: str
) -> None:
    program = await signed_in(running, wechat, "a")

    result = await program.request_upload("PHOTO", raw, "image/jpeg", 100)

    assert result["code"] == "INVALID_FILE_NAME"
    assert result["field"] == "fileName"
    assert await count_rows("document") == 0


@pytest.mark.parametrize(
    ("kind", "content_type"),
    [
        ("ID_CARD_FRONT", "application/pdf"),
        ("PHOTO", "image/svg+xml"),
        ("OTHER", "text/html"),
        ("OTHER", "application/zip"),
        ("HOUSEHOLD_REGISTER", "application/ofd"),
    ],
)
async def test_formats_outside_the_kinds_allow_list_are_refused(
    running: RunningApp, wechat: httpx.AsyncClient, kind: str, content_type: str
) -> None:
    program = await signed_in(running, wechat, "a")

    result = await program.request_upload(kind, "f", content_type, 100)

    assert result["code"] == "UNSUPPORTED_CONTENT_TYPE"
    assert result["field"] == "contentType"
    assert await count_rows("document") == 0


@pytest.mark.parametrize(
    ("kind", "size", "code"),
    [
        ("PHOTO", 2 * MIB + 1, "FILE_TOO_LARGE"),
        ("ID_CARD_BACK", 5 * MIB + 1, "FILE_TOO_LARGE"),
        ("OTHER", 10 * MIB + 1, "FILE_TOO_LARGE"),
        ("OTHER", 0, "INVALID_INPUT"),
        ("OTHER", -5, "INVALID_INPUT"),
    ],
)
async def test_sizes_are_limited_per_kind(
    running: RunningApp, wechat: httpx.AsyncClient, kind: str, size: int, code: str
) -> None:
    program = await signed_in(running, wechat, "a")

    result = await program.request_upload(kind, "f.jpg", "image/jpeg", size)

    assert result["code"] == code
    assert result["field"] == "size"
    assert await count_rows("document") == 0


async def test_uploads_per_hour_are_limited(
    settings_factory, mock_state, wechat: httpx.AsyncClient
) -> None:
    async for running in start_app(settings_factory(document_uploads_per_hour=3)):
        program = await signed_in(running, wechat, "a")

        results = [await program.request_upload("PHOTO", "f", "image/jpeg", 10) for _ in range(4)]

        assert [r["__typename"] for r in results[:3]] == ["DocumentUploadTicket"] * 3
        assert results[3]["code"] == "RATE_LIMITED"
        assert 0 < results[3]["retryAfterSeconds"] <= 3600
        assert await count_rows("document") == 3
        # Another resident has their own allowance.
        other = await signed_in(running, wechat, "b")
        assert (await other.request_upload("PHOTO", "f", "image/jpeg", 10))["__typename"] == (
            "DocumentUploadTicket"
        )


async def test_the_wallet_quota_counts_pending_and_available_documents(
    settings_factory, mock_state, wechat: httpx.AsyncClient
) -> None:
    async for running in start_app(settings_factory(document_wallet_quota_bytes=3 * MIB)):
        program = await signed_in(running, wechat, "a")

        first = await program.request_upload("OTHER", "f", "application/pdf", 2 * MIB)
        second = await program.request_upload("OTHER", "f", "application/pdf", 2 * MIB)
        third = await program.request_upload("OTHER", "f", "application/pdf", 1 * MIB)

        assert first["__typename"] == "DocumentUploadTicket"
        assert second["code"] == "QUOTA_EXCEEDED"
        assert third["__typename"] == "DocumentUploadTicket"
        assert await count_rows("document") == 2


async def test_signed_out_callers_get_no_ticket(running: RunningApp) -> None:
    response = await running.gql(
        'mutation { requestDocumentUpload(input: {kind: PHOTO, fileName: "a", '
        'contentType: "image/jpeg", size: 10}) { __typename '
        "... on RequestDocumentUploadError { code } } }"
    )

    assert response.data["requestDocumentUpload"]["code"] == "UNAUTHENTICATED"
    assert await count_rows("document") == 0


async def test_storage_down_gives_no_ticket_and_no_row(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    root = objects_root(running)
    root.rename(root.with_name("gone"))

    result = await program.request_upload("PHOTO", "f", "image/jpeg", 10)

    assert result["code"] == "STORAGE_UNAVAILABLE"
    assert await count_rows("document") == 0
    assert stored_files(root) == []
