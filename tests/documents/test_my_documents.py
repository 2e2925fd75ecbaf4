"""myDocuments and node(id): the owner's wallet only, filters, pages, and no N+1."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest

from resolvers.documents.service import issue_document
from storage.models.catalogue import Department
from tests.conftest import RunningApp
from tests.documents.conftest import jpeg, pdf, png, signed_in
from tests.sql import count_statements


async def test_the_wallet_lists_my_documents_newest_first(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(running, wechat, "a")
    other = await signed_in(running, wechat, "b")
    for name in ("one.jpg", "two.jpg", "three.jpg"):
        await program.upload_document("PHOTO", name, "image/jpeg", jpeg())
    await other.upload_document("PHOTO", "theirs.jpg", "image/jpeg", jpeg())

    wallet = await program.my_documents()

    names = [edge["node"]["fileName"] for edge in wallet["edges"]]
    assert names == ["three.jpg", "two.jpg", "one.jpg"]
    assert all(edge["node"]["downloadUrl"] for edge in wallet["edges"])


async def test_filters_and_pages(running: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = await signed_in(running, wechat, "a")
    for _ in range(3):
        await program.upload_document("PHOTO", "p.jpg", "image/jpeg", jpeg())
    await program.upload_document("OTHER", "o.pdf", "application/pdf", pdf())
    await program.upload_document("PHOTO", "bad.jpg", "image/jpeg", png())  # rejected
    await program.request_upload("OTHER", "pending.pdf", "application/pdf", 100)

    photos = await program.my_documents(kind="PHOTO")
    rejected = await program.my_documents(status="REJECTED")
    available_photos = await program.my_documents(kind="PHOTO", status="AVAILABLE")
    first = await program.my_documents(first=2)
    second = await program.my_documents(first=2, after=first["pageInfo"]["endCursor"])
    third = await program.my_documents(first=2, after=second["pageInfo"]["endCursor"])

    assert len(photos["edges"]) == 4
    assert [e["node"]["rejectionReason"] for e in rejected["edges"]] == ["TYPE_MISMATCH"]
    assert rejected["edges"][0]["node"]["downloadUrl"] is None
    assert len(available_photos["edges"]) == 3
    seen = [e["node"]["id"] for page in (first, second, third) for e in page["edges"]]
    assert len(seen) == len(set(seen)) == 6
    assert third["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(("first", "after"), [(51, None), (0, None), (5, "bm90LWEtY3Vyc29y")])
async def test_page_limits_and_bad_cursors_are_refused(
    running: RunningApp, wechat: httpx.AsyncClient, first: int, after: str | None
) -> None:
    program = await signed_in(running, wechat, "a")

    response = await running.gql(
        "query($f: Int, $a: String) { myDocuments(first: $f, after: $a) { edges { cursor } } }",
        {"f": first, "a": after},
        token=program.token,
    )

    assert response.error_codes == ["BAD_USER_INPUT"]


async def test_signed_out_callers_see_no_wallet(running: RunningApp) -> None:
    response = await running.gql("{ myDocuments { edges { cursor } } }")

    assert response.error_codes == ["UNAUTHENTICATED"]


async def test_node_finds_my_document_and_not_someone_elses(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await signed_in(seeded, wechat, "owner")
    other = await signed_in(seeded, wechat, "other")
    result = await owner.upload_document("PHOTO", "me.jpg", "image/jpeg", jpeg())
    query = (
        "query($id: ID!) { node(id: $id) { __typename ... on Document { fileName downloadUrl } } }"
    )
    document_id = result["confirm"]["id"]

    mine = await seeded.gql.data(query, {"id": document_id}, token=owner.token)
    theirs = await seeded.gql.data(query, {"id": document_id}, token=other.token)
    anonymous = await seeded.gql.data(query, {"id": document_id})
    from tests.documents.conftest import staff_token

    token, _ = await staff_token(seeded)
    staff = await seeded.gql.data(query, {"id": document_id}, token=token)

    assert mine["node"]["fileName"] == "me.jpg"
    assert mine["node"]["downloadUrl"]
    assert theirs["node"] is None
    assert anonymous["node"] is None
    assert staff["node"] is None  # until an application they handle uses it


async def test_the_wallet_costs_the_same_statements_for_any_number_of_documents(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(seeded, wechat, "a")
    departments = await Department.all().limit(3)
    owner_id = (await program.me() or {})["id"]
    from strawberry import relay

    owner_uuid = UUID(relay.GlobalID.from_id(owner_id).node_id)
    query = (
        "{ myDocuments(first: 50) { edges { node { id fileName status trustLevel downloadUrl "
        "issuer { code name } } } } }"
    )

    async def statements() -> int:
        with count_statements() as counted:
            response = await seeded.gql(query, token=program.token)
        assert not response.errors, response.body
        return counted.count

    async def issue(n: int) -> None:
        for i in range(n):
            await issue_document(
                seeded.resources,
                owner_id=owner_uuid,
                issuer_id=departments[i % len(departments)].id,
                file_name=f"licence-{i}.pdf",
                content_type="application/pdf",
                data=pdf(),
            )

    await issue(2)
    few = await statements()
    await issue(12)
    await program.upload_document("PHOTO", "p.jpg", "image/jpeg", jpeg())
    many = await statements()

    assert few == many
    assert many <= 4  # the session, the page, the issuers in one batch
