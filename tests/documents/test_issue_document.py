"""issue_document: results issued by a department land in the wallet as trust level A."""

from __future__ import annotations

import hashlib
from datetime import date
from uuid import UUID

import httpx
import pytest
from strawberry import relay

from resolvers.documents.errors import DocumentError
from resolvers.documents.service import issue_document
from storage.models.catalogue import Department
from storage.models.documents import Document, DocumentKind, DocumentStatus, TrustLevel
from tests.conftest import RunningApp
from tests.documents.conftest import (
    count_rows,
    jpeg,
    objects_root,
    ofd,
    pdf,
    signed_in,
    stored_files,
)


async def _owner(seeded: RunningApp, wechat: httpx.AsyncClient):
    program = await signed_in(seeded, wechat, "resident")
    me = await program.me()
    assert me is not None
    return program, UUID(relay.GlobalID.from_id(me["id"]).node_id)


async def test_an_issued_licence_is_trusted_and_shows_its_issuer(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, owner_id = await _owner(seeded, wechat)
    department = await Department.first()
    assert department is not None
    data = ofd()

    document = await issue_document(
        seeded.resources,
        owner_id=owner_id,
        issuer_id=department.id,
        kind=DocumentKind.BUSINESS_LICENCE,
        file_name="营业执照.ofd",
        content_type="application/ofd",
        data=data,
        valid_from=date(2026, 1, 1),
        valid_until=date(2036, 1, 1),
    )

    assert document.status is DocumentStatus.AVAILABLE
    assert document.trust_level is TrustLevel.A
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert stored_files(objects_root(seeded)) == [f"documents/{owner_id}/{document.id}"]
    wallet = await program.my_documents()
    node = wallet["edges"][0]["node"]
    assert node["trustLevel"] == "A"
    assert node["issuer"]["code"] == department.code
    assert node["validUntil"] == "2036-01-01"
    assert node["downloadUrl"]


async def test_issued_files_get_the_same_content_checks(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, owner_id = await _owner(seeded, wechat)
    department = await Department.first()
    assert department is not None

    with pytest.raises(DocumentError) as mismatch:
        await issue_document(
            seeded.resources,
            owner_id=owner_id,
            issuer_id=department.id,
            file_name="证书.pdf",
            content_type="application/pdf",
            data=jpeg(),
        )
    with pytest.raises(DocumentError) as dates:
        await issue_document(
            seeded.resources,
            owner_id=owner_id,
            issuer_id=department.id,
            file_name="证书.pdf",
            content_type="application/ofd",
            data=ofd(),
            valid_from=date(2026, 1, 2),
            valid_until=date(2026, 1, 1),
        )

    assert mismatch.value.code.value == "TYPE_MISMATCH"
    assert dates.value.code.value == "INVALID_INPUT"
    assert await count_rows("document") == 0
    assert stored_files(objects_root(seeded)) == []


async def test_issued_documents_do_not_use_up_the_wallet(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, owner_id = await _owner(seeded, wechat)
    department = await Department.first()
    assert department is not None
    big = ofd() + b"\x00" * 0  # a valid package; its size is what counts below
    await issue_document(
        seeded.resources,
        owner_id=owner_id,
        issuer_id=department.id,
        file_name="c.ofd",
        content_type="application/ofd",
        data=big,
    )
    from storage.repositories.documents import wallet_usage

    assert await wallet_usage(owner_id) == 0
    await program.upload_document("OTHER", "p.pdf", "application/pdf", pdf(3000))
    assert await wallet_usage(owner_id) == 3000
    assert await Document.filter(trust_level=TrustLevel.A).count() == 1
