"""withdrawApplication: the resident's own, before acceptance only."""

from __future__ import annotations

import httpx

from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    WITHDRAW,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.conftest import RunningApp

DELETE = """mutation($id: ID!) { deleteDocument(input: {documentId: $id}) { __typename
  ... on DeleteDocumentError { code } } }"""


async def test_a_withdrawn_application_frees_its_documents(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    document = submitted["documents"][0]["id"]
    in_use = await seeded.gql.data(DELETE, {"id": document}, token=program.token)

    withdrawn = await seeded.gql.data(
        WITHDRAW,
        {"input": {"applicationId": submitted["id"], "note": "材料准备不全"}},
        token=program.token,
    )
    freed = await seeded.gql.data(DELETE, {"id": document}, token=program.token)

    assert in_use["deleteDocument"]["code"] == "IN_USE"
    result = withdrawn["withdrawApplication"]
    assert result["status"] == "WITHDRAWN"
    assert result["events"][-1]["type"] == "WITHDRAWN"
    assert freed["deleteDocument"]["__typename"] != "DeleteDocumentError"


async def test_after_acceptance_it_can_no_longer_be_withdrawn(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await verified_resident(seeded, wechat, "a")
    submitted = await submit(seeded, program)
    tokens = await officers(seeded, await implementation(HYGIENE))
    await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )

    late = await seeded.gql.data(
        WITHDRAW, {"input": {"applicationId": submitted["id"]}}, token=program.token
    )

    assert late["withdrawApplication"]["code"] == "INVALID_STATE"


async def test_only_the_owner_withdraws(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    owner = await verified_resident(seeded, wechat, "owner")
    submitted = await submit(seeded, owner)
    stranger = await verified_resident(seeded, wechat, "stranger")

    result = await seeded.gql.data(
        WITHDRAW, {"input": {"applicationId": submitted["id"]}}, token=stranger.token
    )
    bad_id = await seeded.gql.data(
        WITHDRAW, {"input": {"applicationId": "nonsense"}}, token=owner.token
    )

    assert result["withdrawApplication"]["code"] == "NOT_FOUND"
    assert bad_id["withdrawApplication"]["code"] == "NOT_FOUND"
