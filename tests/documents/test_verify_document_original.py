"""verifyDocumentOriginal: staff whose department handles a case using an uploaded document
raise it to trust B, with a logged reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import pytest
from strawberry import relay

from storage.models.applications import (
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    MaterialState,
)
from storage.models.catalogue import Channel, Department, MaterialSource, Necessity
from storage.models.documents import AccessAction, Document, DocumentAccess, TrustLevel
from tests.conftest import RunningApp
from tests.documents.conftest import jpeg, signed_in, staff_token

VERIFY = """
mutation($id: ID!, $note: String!) {
  verifyDocumentOriginal(input: {documentId: $id, note: $note}) {
    __typename
    ... on Document { trustLevel downloadUrl }
    ... on VerifyDocumentOriginalError { code field }
  }
}
"""


async def in_a_case(document_global_id: str, officer: Any) -> None:
    """The document is a material of an application the officer's department handles."""
    document = await Document.get(id=UUID(relay.GlobalID.from_id(document_global_id).node_id))
    department = await Department.get(id=officer.department_id)
    application = await Application.create(
        number=f"CD20260101{document.id.int % 1_000_000:06d}",
        owner_id=document.owner_id,
        department_id=department.id,
        region_id=department.region_id,
        status=ApplicationStatus.SUBMITTED,
        channel=Channel.MINI_PROGRAM,
        submitted_at=datetime.now(UTC),
    )
    await ApplicationMaterial.create(
        application_id=application.id,
        position=0,
        name="身份证",
        necessity=Necessity.REQUIRED,
        source=MaterialSource.APPLICANT,
        document_kind=document.kind.value,
        document_id=document.id,
        state=MaterialState.PROVIDED,
    )


@pytest.fixture
async def uploaded(seeded: RunningApp, wechat: httpx.AsyncClient) -> dict:
    program = await signed_in(seeded, wechat, "resident")
    result = await program.upload_document("ID_CARD_FRONT", "id.jpg", "image/jpeg", jpeg())
    _, officer = await staff_token(seeded)
    await in_a_case(result["confirm"]["id"], officer)
    return dict(result["confirm"])


async def test_staff_raise_an_uploaded_document_to_b_and_the_read_is_logged(
    seeded: RunningApp, uploaded: dict
) -> None:
    token, officer = await staff_token(seeded)

    result = await seeded.gql.data(
        VERIFY, {"id": uploaded["id"], "note": "窗口核验身份证原件一致"}, token=token
    )

    assert result["verifyDocumentOriginal"]["trustLevel"] == "B"
    row = await Document.get()
    assert row.trust_level is TrustLevel.B
    assert row.verified_by_id == officer.id
    entry = await DocumentAccess.get(action=AccessAction.VERIFY_ORIGINAL)
    assert entry.document_id == row.id
    assert entry.actor_id == officer.id
    assert entry.action is AccessAction.VERIFY_ORIGINAL
    assert entry.reason == "窗口核验身份证原件一致"
    assert entry.at is not None


@pytest.mark.parametrize(
    ("note", "code"),
    [("", "REASON_REQUIRED"), ("  ", "REASON_REQUIRED"), ("长" * 201, "INVALID_INPUT")],
)
async def test_a_reason_is_required(
    seeded: RunningApp, uploaded: dict, note: str, code: str
) -> None:
    token, _ = await staff_token(seeded)

    result = await seeded.gql.data(VERIFY, {"id": uploaded["id"], "note": note}, token=token)

    assert result["verifyDocumentOriginal"]["code"] == code
    assert result["verifyDocumentOriginal"]["field"] == "note"
    assert (await Document.get()).trust_level is TrustLevel.C
    assert await DocumentAccess.all().count() == 0


async def test_residents_cannot_verify_their_own_documents(
    seeded: RunningApp, wechat: httpx.AsyncClient, uploaded: dict
) -> None:
    program = await signed_in(seeded, wechat, "resident")

    response = await seeded.gql(
        VERIFY, {"id": uploaded["id"], "note": "我自己核过了"}, token=program.token
    )

    assert response.data["verifyDocumentOriginal"]["code"] == "FORBIDDEN"
    assert (await Document.get()).trust_level is TrustLevel.C


async def test_pending_issued_and_unknown_documents_are_not_verified(
    seeded: RunningApp, wechat: httpx.AsyncClient, uploaded: dict
) -> None:
    token, officer = await staff_token(seeded)
    program = await signed_in(seeded, wechat, "resident")
    pending = await program.request_upload("PHOTO", "p.jpg", "image/jpeg", 100)
    await in_a_case(pending["documentId"], officer)
    await Document.filter(file_name="id.jpg").update(trust_level=TrustLevel.A)

    not_available = await seeded.gql.data(
        VERIFY, {"id": pending["documentId"], "note": "x"}, token=token
    )
    issued = await seeded.gql.data(VERIFY, {"id": uploaded["id"], "note": "x"}, token=token)
    unknown = await seeded.gql.data(VERIFY, {"id": "RG9jdW1lbnQ6eA==", "note": "x"}, token=token)

    assert not_available["verifyDocumentOriginal"]["code"] == "NOT_AVAILABLE"
    assert issued["verifyDocumentOriginal"]["code"] == "ALREADY_TRUSTED"
    assert unknown["verifyDocumentOriginal"]["code"] == "NOT_FOUND"
    assert await DocumentAccess.all().count() == 0
