"""The wallet quota holds under concurrency: upload requests and confirmations that arrive
at once are decided one after another per wallet, so exactly the files that fit get in, the
others get QUOTA_EXCEEDED, and nothing half-written is left (no ticket, row or object)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from resolvers.documents import images
from storage.models.documents import Document, DocumentStatus, RejectionReason
from storage.repositories.documents import wallet_usage
from tests.conftest import RunningApp, start_app
from tests.documents.conftest import jpeg, objects_root, pdf, signed_in, stored_files

MIB = 1024 * 1024
FILE = 300_000  # three fit in a 1 MiB wallet (900 000 bytes), a fourth does not


@pytest.fixture
async def small_wallet(settings_factory: Any, mock_state: Any) -> AsyncIterator[RunningApp]:
    async for running in start_app(settings_factory(document_wallet_quota_bytes=MIB)):
        yield running


async def test_concurrent_upload_requests_reserve_no_more_than_the_quota(
    small_wallet: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(small_wallet, wechat, "a")

    tickets = await asyncio.gather(
        *(program.request_upload("OTHER", f"{i}.pdf", "application/pdf", FILE) for i in range(6))
    )

    granted = [t for t in tickets if t["__typename"] == "DocumentUploadTicket"]
    refused = [t for t in tickets if t["__typename"] != "DocumentUploadTicket"]
    assert len(granted) == 3
    assert [(t["code"], t["field"]) for t in refused] == [("QUOTA_EXCEEDED", "size")] * 3
    assert await Document.all().count() == 3  # a refused request leaves no row behind
    # Every granted ticket can be used and confirmed, all at once: the quota was reserved.
    for ticket in granted:
        fields = {f["name"]: f["value"] for f in ticket["fields"]}
        await program.wx_upload_file(ticket["url"], fields, "x.pdf", pdf(FILE))
    confirmed = await asyncio.gather(*(program.confirm_upload(t["documentId"]) for t in granted))
    assert [c["status"] for c in confirmed] == ["AVAILABLE"] * 3
    owner = (await Document.first()).owner_id  # type: ignore[union-attr]
    assert await wallet_usage(owner) == 3 * FILE <= MIB


async def test_concurrent_confirmations_that_outgrow_the_quota_are_refused_cleanly(
    small_wallet: RunningApp, wechat: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cleaned copy can come out larger than its ticket reserved; the growth is decided
    atomically per wallet: of three confirmations at once, only the two that fit are stored."""
    real = images.strip_metadata

    def larger(source: Any, content_type: str, *, max_pixels: int) -> bytes:
        # Still a valid JPEG: decoders stop at its end marker.
        cleaned = real(source, content_type, max_pixels=max_pixels)
        return cleaned + b"\x00" * (400_000 - len(cleaned))

    monkeypatch.setattr(images, "strip_metadata", larger)
    program = await signed_in(small_wallet, wechat, "a")
    tickets = []
    # 3 x 300 000 reserved; grown to 400 000 each, two fit in 1 MiB and three do not (a
    # refused confirmation frees its reservation).
    for i in range(3):
        ticket = await program.request_upload("PHOTO", f"{i}.jpg", "image/jpeg", FILE)
        fields = {f["name"]: f["value"] for f in ticket["fields"]}
        await program.wx_upload_file(ticket["url"], fields, f"{i}.jpg", jpeg(FILE))
        tickets.append(ticket)

    results = await asyncio.gather(*(program.confirm_upload(t["documentId"]) for t in tickets))

    outcomes = sorted(r.get("status") or r["code"] for r in results)
    assert outcomes == ["AVAILABLE", "AVAILABLE", "QUOTA_EXCEEDED"]
    rows = await Document.all()
    stored = [r for r in rows if r.status is DocumentStatus.AVAILABLE]
    refused = [r for r in rows if r.status is DocumentStatus.REJECTED]
    assert [r.size for r in stored] == [400_000, 400_000]
    assert [r.rejection_reason for r in refused] == [RejectionReason.QUOTA_EXCEEDED]
    # Only the stored copies exist: no orphan in documents/, quarantine emptied.
    assert stored_files(objects_root(small_wallet)) == sorted(r.object_key for r in stored)
    assert await wallet_usage(stored[0].owner_id) == 800_000 <= MIB
