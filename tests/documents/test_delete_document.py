"""deleteDocument: the owner's only, its object removed, refused while in use, no orphans."""

from __future__ import annotations

import httpx
import pytest

from storage.models.documents import Document
from storage.repositories import documents as repo
from tests.conftest import RunningApp
from tests.documents.conftest import count_rows, jpeg, objects_root, png, signed_in, stored_files


async def test_deleting_removes_the_row_and_the_object(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    kept = await program.upload_document("PHOTO", "keep.jpg", "image/jpeg", jpeg())
    gone = await program.upload_document("PHOTO", "gone.jpg", "image/jpeg", jpeg())

    result = await program.delete_document(gone["confirm"]["id"])

    assert result == {"__typename": "DeletedDocument", "documentId": gone["confirm"]["id"]}
    row = await Document.get()
    assert str(row.id) in kept["confirm"]["id"] or row.file_name == "keep.jpg"
    assert stored_files(objects_root(running)) == [row.object_key]
    assert (await program.delete_document(gone["confirm"]["id"]))["code"] == "NOT_FOUND"


async def test_pending_and_rejected_documents_can_be_deleted(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    pending = await program.request_upload("PHOTO", "p.jpg", "image/jpeg", 2048)
    fields = {f["name"]: f["value"] for f in pending["fields"]}
    await program.wx_upload_file(pending["url"], fields, "p.jpg", jpeg())
    rejected = await program.upload_document("PHOTO", "r.jpg", "image/jpeg", png())

    first = await program.delete_document(pending["documentId"])
    second = await program.delete_document(rejected["ticket"]["documentId"])

    assert first["__typename"] == second["__typename"] == "DeletedDocument"
    assert await count_rows("document") == 0
    assert stored_files(objects_root(running)) == []


async def test_nobody_else_can_delete_my_document(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await signed_in(running, wechat, "owner")
    other = await signed_in(running, wechat, "other")
    result = await owner.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())

    refused = await other.delete_document(result["confirm"]["id"])

    assert refused["code"] == "NOT_FOUND"
    assert await count_rows("document") == 1
    assert len(stored_files(objects_root(running))) == 1


@pytest.mark.parametrize("document_id", ["nonsense", "QWNjb3VudDox", ""])
async def test_ids_that_are_not_documents_are_not_found(
    running: RunningApp, wechat: httpx.AsyncClient, document_id: str
) -> None:
    program = await signed_in(running, wechat, "a")

    result = await program.delete_document(document_id)

    assert result["code"] == "NOT_FOUND"
    assert result["field"] == "documentId"


async def test_a_document_an_open_application_uses_is_kept(
    running: RunningApp, wechat: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    program = await signed_in(running, wechat, "a")
    result = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())

    async def in_use(document_id: object) -> bool:
        return True  # what the applications domain answers for a submitted application

    monkeypatch.setattr(repo, "in_use_by_open_application", in_use)
    refused = await program.delete_document(result["confirm"]["id"])

    assert refused["code"] == "IN_USE"
    assert await count_rows("document") == 1
    assert len(stored_files(objects_root(running))) == 1


async def test_storage_down_leaves_the_document_in_place(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    result = await program.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())
    root = objects_root(running)
    root.rename(root.with_name("away"))

    refused = await program.delete_document(result["confirm"]["id"])

    assert refused["code"] == "STORAGE_UNAVAILABLE"
    assert await count_rows("document") == 1
    root.with_name("away").rename(root)
    assert (await program.delete_document(result["confirm"]["id"]))["__typename"] == (
        "DeletedDocument"
    )
