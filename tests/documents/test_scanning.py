"""Malware scanning with a real ClamAV daemon and a test-only signature database."""

from __future__ import annotations

import httpx

from integrations.scanner import ClamdScanner, ScannerUnavailable
from storage.models.documents import Document, DocumentStatus
from tests.conftest import RunningApp, start_app
from tests.documents.conftest import (
    EICAR,
    count_rows,
    jpeg,
    objects_root,
    pdf,
    signed_in,
    stored_files,
)
from tests.processes import free_port


async def _chunks(*parts: bytes):
    for part in parts:
        yield part


async def test_clamd_tells_clean_from_infected(clamd_address: str) -> None:
    scanner = ClamdScanner(clamd_address, timeout=10)

    clean = await scanner.scan(_chunks(pdf(200_000)))
    infected = await scanner.scan(_chunks(EICAR[:10], EICAR[10:]))

    assert clean.clean
    assert not infected.clean
    assert infected.signature is not None
    assert "Rongban.Test.EICAR" in infected.signature
    assert await scanner.ping()


async def test_an_eicar_upload_ends_rejected(
    scanning: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(scanning, wechat, "a")
    # EICAR inside a file that passes the magic-byte check, so that the scanner decides.
    infected = b"%PDF-1.4\n" + EICAR + b"\n%%EOF\n"

    result = await program.upload_document("OTHER", "report.pdf", "application/pdf", infected)

    assert result["upload"] == 204
    assert result["confirm"]["__typename"] == "ConfirmDocumentUploadError"
    assert result["confirm"]["code"] == "MALWARE_FOUND"
    row = await Document.get()
    assert row.status is DocumentStatus.REJECTED
    assert row.rejection_reason == "MALWARE"
    assert stored_files(objects_root(scanning)) == []


async def test_the_bare_eicar_file_ends_rejected(
    scanning: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(scanning, wechat, "a")

    result = await program.upload_document("OTHER", "eicar.com", "application/pdf", EICAR)

    # Its bytes are no PDF: the magic-byte check refuses it before the scanner needs to.
    assert result["confirm"]["code"] == "TYPE_MISMATCH"
    assert (await Document.get()).status is DocumentStatus.REJECTED
    assert stored_files(objects_root(scanning)) == []


async def test_clean_files_pass_the_scanner(
    scanning: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(scanning, wechat, "a")

    result = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg(500_000))

    assert result["confirm"]["status"] == "AVAILABLE"


async def test_a_scanner_that_is_down_keeps_the_document_pending(
    settings_factory, mock_state, wechat: httpx.AsyncClient
) -> None:
    dead = f"tcp://127.0.0.1:{free_port()}"
    async for running in start_app(settings_factory(clamd_address=dead)):
        program = await signed_in(running, wechat, "a")

        result = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())

        assert result["confirm"]["code"] == "SCANNER_UNAVAILABLE"
        row = await Document.get()
        assert row.status is DocumentStatus.PENDING
        assert row.confirming_until is None
        assert stored_files(objects_root(running)) == [row.object_key]


async def test_without_a_scanner_where_one_is_required_uploads_are_refused(
    settings_factory, mock_state, wechat: httpx.AsyncClient
) -> None:
    async for running in start_app(settings_factory(document_scanner_required=True)):
        program = await signed_in(running, wechat, "a")

        result = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())

        assert result["confirm"]["code"] == "SCANNER_UNAVAILABLE"
        assert await count_rows("document") == 1  # pending, until a scanner is configured


async def test_a_scanner_address_that_is_not_clamd_fails_closed() -> None:
    import pytest

    with pytest.raises(ValueError):
        ClamdScanner("http://127.0.0.1:3310")
    scanner = ClamdScanner(f"tcp://127.0.0.1:{free_port()}", timeout=1)
    with pytest.raises(ScannerUnavailable):
        await scanner.scan(_chunks(b"x"))
    assert not await scanner.ping()
