"""Photos from the wallet on appeals: the handling department may download them once released
(the read is logged with the appeal's number), other departments may not, and a photo an open
appeal uses cannot be deleted from the wallet. Mini-program photos wait for WeChat's image
check (tests/security/test_appeal_photo_check.py); other channels' are not sent to it."""

from __future__ import annotations

import httpx

from storage.models.documents import DocumentAccess
from tests.appeals.conftest import (
    URBAN,
    WATER,
    drain,
    file,
    media_checks,
    photo,
    push_verdicts,
    resident,
    staff_token,
)
from tests.conftest import RunningApp

PHOTOS = "query($id: ID!) { appeal(id: $id) { photos { id downloadUrl } } }"
DOCUMENT = "query($id: ID!) { node(id: $id) { ... on Document { id downloadUrl } } }"
DELETE = (
    "mutation($id: ID!) { deleteDocument(input: {documentId: $id}) { __typename "
    "... on DeleteDocumentError { code } } }"
)


async def test_the_handling_department_sees_the_photos_and_the_read_is_logged(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    picture = await photo(program)
    appeal = await file(seeded, program, documentIds=[picture])
    await drain(seeded)  # the photo goes to WeChat's image check,
    await push_verdicts(seeded, wechat)  # which passes it
    urban, water = await staff_token(seeded, URBAN), await staff_token(seeded, WATER)

    handler = await seeded.gql.data(PHOTOS, {"id": appeal["id"]}, token=urban)
    stranger = await seeded.gql.data(DOCUMENT, {"id": picture}, token=water)

    [seen] = handler["appeal"]["photos"]
    assert seen["id"] == picture
    assert seen["downloadUrl"]
    access = await DocumentAccess.get()
    assert access.reason == f"appeal {appeal['number']}"
    assert stranger["node"] is None


async def test_a_photo_in_use_by_an_open_appeal_stays_in_the_wallet(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    picture = await photo(program)
    await file(seeded, program, documentIds=[picture])
    spare = await photo(program)

    refused = await seeded.gql.data(DELETE, {"id": picture}, token=program.token)
    deleted = await seeded.gql.data(DELETE, {"id": spare}, token=program.token)

    assert refused["deleteDocument"] == {"__typename": "DeleteDocumentError", "code": "IN_USE"}
    assert deleted["deleteDocument"]["__typename"] != "DeleteDocumentError"


async def test_photos_of_other_channels_are_not_sent_to_wechat_and_shown_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    picture = await photo(program)
    appeal = await file(seeded, program, documentIds=[picture], channel="MOBILE_APP")
    await drain(seeded)
    urban = await staff_token(seeded, URBAN)

    handler = await seeded.gql.data(PHOTOS, {"id": appeal["id"]}, token=urban)

    assert [p["id"] for p in handler["appeal"]["photos"]] == [picture]
    assert await media_checks(wechat) == []
