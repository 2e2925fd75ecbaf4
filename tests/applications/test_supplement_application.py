"""supplementApplication: only when asked, only with one's own available documents."""

from __future__ import annotations

import httpx

from tests.applications.conftest import (
    HYGIENE,
    REQUEST_SUPPLEMENT,
    SUPPLEMENT,
    implementation,
    officers,
    submit,
    upload,
    verified_resident,
)
from tests.conftest import RunningApp


async def test_supplying_nothing_is_refused(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)

    result = await seeded.gql.data(
        SUPPLEMENT,
        {"input": {"applicationId": submitted["id"], "documentIds": []}},
        token=program.token,
    )

    assert result["supplementApplication"]["code"] == "NOTHING_OWED"
    assert result["supplementApplication"]["field"] == "documentIds"


async def test_someone_elses_document_cannot_supply_a_material(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    other = await verified_resident(seeded, wechat, "b")
    submitted = await submit(seeded, program)
    tokens = await officers(seeded, await implementation(HYGIENE))
    owed = [m["position"] for m in submitted["materials"] if m["state"] == "PROVIDED"][:1]
    await seeded.gql.data(
        REQUEST_SUPPLEMENT,
        {"input": {"applicationId": submitted["id"], "materials": owed, "note": "照片不清晰"}},
        token=tokens["lead"],
    )
    foreign = await upload(other, "ID_CARD_FRONT")

    refused = await seeded.gql.data(
        SUPPLEMENT,
        {"input": {"applicationId": submitted["id"], "documentIds": [foreign]}},
        token=program.token,
    )
    by_stranger = await seeded.gql.data(
        SUPPLEMENT,
        {"input": {"applicationId": submitted["id"], "documentIds": [foreign]}},
        token=other.token,
    )

    assert refused["supplementApplication"]["field"].startswith("documentIds")
    assert by_stranger["supplementApplication"]["code"] == "NOT_FOUND"
    state = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { status } }",
        {"id": submitted["id"]},
        token=program.token,
    )
    assert state["application"]["status"] == "SUPPLEMENT_REQUESTED"
