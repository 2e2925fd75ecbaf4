"""Appeal photos the public may see: none by default; the department the appeal is with (or
the 12345 centre) publishes one that passed WeChat's image check, Open311 readers then get a
short-lived link to it as `media_url` that downloads the photo, and the staff member and
the moment are in the audit trail. Refused: a resident, another department, a photo still
held, a photo never checked, and any photo of a 举报."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from storage.models.accounts import AuditEvent
from storage.models.appeals import AppealPhoto
from tests.appeals.conftest import (
    CENTRE,
    URBAN,
    WATER,
    drain,
    file,
    photo,
    push_verdicts,
    resident,
    staff_token,
)
from tests.conftest import RunningApp

PUBLISH = """
mutation($input: PublishAppealPhotoInput!) {
  publishAppealPhoto(input: $input) {
    __typename
    ... on Appeal { id publishedPhotoIds photoChecks { documentId publishedAt } }
    ... on PublishAppealPhotoError { code field message }
  }
}
"""
OPEN311 = "/open311/v2/requests.json"


async def publish(
    running: RunningApp, token: str | None, appeal: dict[str, Any], document: str, public: bool
) -> dict[str, Any]:
    result = await running.gql.data(
        PUBLISH,
        {"input": {"appealId": appeal["id"], "documentId": document, "public": public}},
        token=token,
    )
    return dict(result["publishAppealPhoto"])


async def checked_appeal(
    running: RunningApp, wechat: httpx.AsyncClient, **overrides: Any
) -> tuple[Any, dict[str, Any], str]:
    """A mini-program appeal with one photo that WeChat's image check passed."""
    program = await resident(running, wechat, "a")
    picture = await photo(program)
    appeal = await file(running, program, documentIds=[picture], **overrides)
    await drain(running)
    await push_verdicts(running, wechat)
    return program, appeal, picture


async def open311_row(running: RunningApp, number: str) -> dict[str, Any]:
    response = await running.client.get(f"/open311/v2/requests/{number}.json")
    assert response.status_code == 200, response.text
    [row] = response.json()
    return dict(row)


async def test_the_handling_department_publishes_a_checked_photo_for_open311(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, appeal, picture = await checked_appeal(seeded, wechat)
    urban = await staff_token(seeded, URBAN)
    before = await open311_row(seeded, appeal["number"])

    published = await publish(seeded, urban, appeal, picture, True)
    row = await open311_row(seeded, appeal["number"])
    listed = (await seeded.client.get(OPEN311)).json()
    media = await seeded.client.get(urlsplit(row["media_url"]).path)

    assert before["media_url"] is None
    assert published["__typename"] == "Appeal"
    assert published["publishedPhotoIds"] == [picture]
    [in_list] = [r for r in listed if r["service_request_id"] == appeal["number"]]
    assert in_list["media_url"].startswith(row["media_url"].split("/files/")[0])
    assert media.status_code == 200
    assert media.content.startswith(b"\xff\xd8")  # the photo itself (a JPEG)
    # The link names the file after the appeal, never after the resident's own file name.
    assert appeal["number"] in media.headers["content-disposition"]
    stored = await AppealPhoto.get(appeal_id=_uuid(appeal["id"]))
    assert stored.published_at is not None
    assert stored.published_by_id is not None
    [audit] = await AuditEvent.filter(action="appeal.photo_published")
    assert audit.actor_id == stored.published_by_id
    assert audit.detail == f"{appeal['number']} photo 1"


async def test_withdrawing_it_empties_media_url_and_is_audited(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, picture = await checked_appeal(seeded, wechat)
    centre = await staff_token(seeded, CENTRE)
    await publish(seeded, centre, appeal, picture, True)

    again = await publish(seeded, centre, appeal, picture, True)
    withdrawn = await publish(seeded, centre, appeal, picture, False)
    row = await open311_row(seeded, appeal["number"])
    seen_by_resident = await seeded.gql.data(
        "query($id: ID!) { appeal(id: $id) { photoChecks { publishedAt } } }",
        {"id": appeal["id"]},
        token=program.token,
    )

    assert again["publishedPhotoIds"] == [picture]
    assert withdrawn["publishedPhotoIds"] == []
    assert row["media_url"] is None
    assert seen_by_resident["appeal"]["photoChecks"] == [{"publishedAt": None}]
    # Publishing what was already public wrote nothing.
    assert await AuditEvent.filter(action="appeal.photo_published").count() == 1
    assert await AuditEvent.filter(action="appeal.photo_withdrawn").count() == 1


async def test_a_resident_and_another_department_are_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, appeal, picture = await checked_appeal(seeded, wechat)
    water = await staff_token(seeded, WATER)

    by_owner = await publish(seeded, program.token, appeal, picture, True)
    by_other = await publish(seeded, water, appeal, picture, True)
    anonymous = await publish(seeded, None, appeal, picture, True)

    assert (by_owner["code"], by_other["code"], anonymous["code"]) == (
        "FORBIDDEN",
        "NOT_FOUND",  # another department does not even learn that the appeal exists
        "UNAUTHENTICATED",
    )
    assert (await open311_row(seeded, appeal["number"]))["media_url"] is None
    assert await AppealPhoto.filter(published_at__isnull=False).count() == 0


async def test_a_photo_not_passed_by_the_image_check_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await resident(seeded, wechat, "a")
    held, unchecked = await photo(program), await photo(program)
    waiting = await file(seeded, program, documentIds=[held])  # WeChat has not answered
    other_channel = await file(
        seeded,
        program,
        documentIds=[unchecked],
        channel="MOBILE_APP",
        content="春熙路人行道上有共享单车乱停放，挡住了盲道。",
    )
    urban = await staff_token(seeded, URBAN)

    pending = await publish(seeded, urban, waiting, held, True)
    never_checked = await publish(seeded, urban, other_channel, unchecked, True)
    not_its_photo = await publish(seeded, urban, waiting, unchecked, True)

    assert (pending["code"], pending["field"]) == ("PHOTO_NOT_CHECKED", "documentId")
    assert never_checked["code"] == "PHOTO_NOT_CHECKED"
    assert not_its_photo["code"] == "PHOTO_NOT_FOUND"
    assert await AppealPhoto.filter(published_at__isnull=False).count() == 0
    assert await AuditEvent.filter(action="appeal.photo_published").count() == 0


async def test_a_report_s_photo_is_never_published(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, appeal, picture = await checked_appeal(seeded, wechat, kind="REPORT")
    centre = await staff_token(seeded, CENTRE)

    refused = await publish(seeded, centre, appeal, picture, True)

    assert (refused["code"], refused["field"]) == ("PHOTO_CONFIDENTIAL", "appealId")
    assert await AppealPhoto.filter(published_at__isnull=False).count() == 0


def _uuid(global_id: str) -> str:
    from strawberry import relay

    return str(relay.GlobalID.from_id(global_id).node_id)


async def test_media_urls_cost_one_statement_whatever_the_number_of_requests(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    from tests.sql import count_statements

    program = await resident(seeded, wechat, "a")
    urban = await staff_token(seeded, URBAN)

    async def published_appeal() -> None:
        picture = await photo(program)
        appeal = await file(seeded, program, documentIds=[picture])
        await drain(seeded)
        await push_verdicts(seeded, wechat)
        assert (await publish(seeded, urban, appeal, picture, True))["__typename"] == "Appeal"

    await published_appeal()
    with count_statements() as few:
        small = (await seeded.client.get(OPEN311)).json()
    for _ in range(3):
        await published_appeal()
    with count_statements() as many:
        large = (await seeded.client.get(OPEN311)).json()

    assert [bool(r["media_url"]) for r in small] == [True]
    assert [bool(r["media_url"]) for r in large] == [True] * 4
    assert many.count == few.count, many.texts
