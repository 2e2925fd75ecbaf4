"""Who may read a document: the owner, and staff whose case uses it, each read logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import httpx
import pytest
from tortoise.expressions import Q

from resolvers.documents.service import sweep_expired_tickets
from storage.models.documents import AccessAction, Document, DocumentAccess
from storage.repositories import documents as repo
from tests.conftest import RunningApp
from tests.documents.conftest import (
    count_rows,
    jpeg,
    objects_root,
    post_form,
    signed_in,
    staff_token,
)

NODE = "query($id: ID!) { node(id: $id) { ... on Document { fileName downloadUrl } } }"


async def test_staff_handling_a_case_read_it_and_each_read_is_logged(
    seeded: RunningApp, wechat: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = await signed_in(seeded, wechat, "resident")
    result = await program.upload_document("ID_CARD_FRONT", "id.jpg", "image/jpeg", jpeg())
    token, officer = await staff_token(seeded)
    row = await Document.get()

    # What the applications domain plugs in: the documents of applications this officer handles.
    def handled_by(reader: object) -> Q:
        return Q(id=row.id)

    async def handling_reason(reader: object, document_id: UUID) -> str | None:
        return "受理申请 2026-000001" if document_id == row.id else None

    monkeypatch.setattr(repo, "handled_by", handled_by)
    monkeypatch.setattr(repo, "handling_reason", handling_reason)

    seen = await seeded.gql.data(NODE, {"id": result["confirm"]["id"]}, token=token)
    download = await seeded.client.get(seen["node"]["downloadUrl"])

    assert seen["node"]["fileName"] == "id.jpg"
    assert download.status_code == 200
    entry = await DocumentAccess.get()
    assert (entry.actor_id, entry.document_id, entry.action) == (
        officer.id,
        row.id,
        AccessAction.DOWNLOAD,
    )
    assert entry.reason == "受理申请 2026-000001"
    # The owner's own reads are not staff reads: nothing more is logged.
    await program.my_documents()
    assert await DocumentAccess.all().count() == 1


async def test_abandoned_uploads_are_swept_with_their_objects(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    never = await program.request_upload("PHOTO", "a.jpg", "image/jpeg", 2048)
    unconfirmed = await program.request_upload("PHOTO", "b.jpg", "image/jpeg", 2048)
    await post_form(running.client, unconfirmed, jpeg())
    kept = await program.upload_document("PHOTO", "c.jpg", "image/jpeg", jpeg())

    not_yet = await sweep_expired_tickets(running.resources.objects)
    closed = await sweep_expired_tickets(
        running.resources.objects, now=datetime.now(UTC) + timedelta(hours=1)
    )

    assert not_yet == 0
    assert closed == 3  # two abandoned, and the confirmed one's ticket is closed
    assert await count_rows("document") == 1
    row = await Document.get()
    assert row.file_name == "c.jpg"
    assert never["__typename"] == "DocumentUploadTicket"
    assert kept["confirm"]["status"] == "AVAILABLE"
    files = [
        str(p.relative_to(objects_root(running)))
        for p in objects_root(running).rglob("*")
        if p.is_file()
    ]
    assert files == [row.object_key]
