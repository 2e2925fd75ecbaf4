"""verifyDocumentOriginal: staff raise an uploaded document to trust B, with a logged reason."""

from __future__ import annotations

import httpx
import pytest

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


@pytest.fixture
async def uploaded(seeded: RunningApp, wechat: httpx.AsyncClient) -> dict:
    program = await signed_in(seeded, wechat, "resident")
    result = await program.upload_document("ID_CARD_FRONT", "id.jpg", "image/jpeg", jpeg())
    return dict(result["confirm"])


async def test_staff_raise_an_uploaded_document_to_b_and_the_read_is_logged(
    seeded: RunningApp, uploaded: dict
) -> None:
    token, officer = await staff_token(seeded)

    result = await seeded.gql.data(
        VERIFY, {"id": uploaded["id"], "note": "窗口核验身份证原件一致"}, token=token
    )

    assert result["verifyDocumentOriginal"]["trustLevel"] == "B"
    # The result does not hand staff the file: reading it needs a case ([4/8]).
    assert result["verifyDocumentOriginal"]["downloadUrl"] is None
    row = await Document.get()
    assert row.trust_level is TrustLevel.B
    assert row.verified_by_id == officer.id
    entry = await DocumentAccess.get()
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

    assert response.error_codes == ["FORBIDDEN"]
    assert (await Document.get()).trust_level is TrustLevel.C


async def test_pending_issued_and_unknown_documents_are_not_verified(
    seeded: RunningApp, wechat: httpx.AsyncClient, uploaded: dict
) -> None:
    token, _ = await staff_token(seeded)
    program = await signed_in(seeded, wechat, "resident")
    pending = await program.request_upload("PHOTO", "p.jpg", "image/jpeg", 100)
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
