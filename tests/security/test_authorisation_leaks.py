"""Reproductions of the holes one authorisation policy closes: an officer taking over a platform
article, any officer raising any resident's document to trust B (and reading its details), a
district publishing a guide into another district, and every officer reviewing providers."""

from __future__ import annotations

from typing import Any

import httpx
from strawberry import relay

from storage.models.accounts import Account, AuditEvent
from storage.models.catalogue import Article, Implementation, PublicationStatus
from storage.models.documents import Document, DocumentAccess, TrustLevel
from storage.models.providers import Provider, ProviderStatus
from tests.catalogue.editing import PUBLISH, UPSERT, guide_input, officer_of, staff_token
from tests.conftest import RunningApp
from tests.documents.conftest import jpeg, signed_in
from tests.providers.conftest import (
    REVIEW,
    REVIEW_PROVIDER,
    ensure_themes,
    member_of_approved_provider,
    register,
    resident,
    service_input,
)

JINJIANG_APPROVALS = "锦江区行政审批局"


# -- 3. upsertArticle: a platform article is the ADMIN's

ARTICLE = """
mutation($input: UpsertArticleInput!) {
  upsertArticle(input: $input) {
    __typename
    ... on Article { id title }
    ... on UpsertArticleError { errorCode: code field }
  }
}
"""


async def test_an_officer_cannot_take_over_a_platform_article(seeded: RunningApp) -> None:
    platform = await Article.create(kind="POLICY", title="平台服务协议", body="原文")
    token, department = await officer_of(seeded, JINJIANG_APPROVALS)
    replacement = {
        "id": relay.to_base64("Article", platform.id),
        "kind": "POLICY",
        "title": "本部门的协议",
        "body": "替换的正文",
        "departmentCode": department.code,
    }

    taken = (await seeded.gql.data(ARTICLE, {"input": replacement}, token=token))["upsertArticle"]
    admin = await staff_token(seeded, "demo-admin")
    by_admin = (await seeded.gql.data(ARTICLE, {"input": replacement}, token=admin))[
        "upsertArticle"
    ]

    assert taken == {"__typename": "UpsertArticleError", "errorCode": "FORBIDDEN", "field": "id"}
    assert by_admin["__typename"] == "Article"  # the ADMIN may hand it to a department
    assert (await Article.get(id=platform.id)).department_id == department.id


async def test_nothing_changes_when_the_take_over_is_refused(seeded: RunningApp) -> None:
    platform = await Article.create(kind="POLICY", title="平台服务协议", body="原文")
    token, department = await officer_of(seeded, JINJIANG_APPROVALS)

    await seeded.gql.data(
        ARTICLE,
        {
            "input": {
                "id": relay.to_base64("Article", platform.id),
                "kind": "POLICY",
                "title": "本部门的协议",
                "body": "替换的正文",
                "departmentCode": department.code,
            }
        },
        token=token,
    )

    row = await Article.get(id=platform.id)
    assert (row.title, row.body, row.department_id) == ("平台服务协议", "原文", None)


# -- 4. verifyDocumentOriginal: only staff who may read the document

VERIFY = """
mutation($id: ID!) {
  verifyDocumentOriginal(input: {documentId: $id, note: "窗口核验原件一致"}) {
    __typename
    ... on Document { fileName kind sha256 size trustLevel }
    ... on VerifyDocumentOriginalError { code field }
  }
}
"""


async def test_an_officer_without_a_case_cannot_verify_or_read_a_document(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(seeded, wechat, "resident")
    uploaded = await program.upload_document("ID_CARD_FRONT", "身份证.jpg", "image/jpeg", jpeg())
    document_id = uploaded["confirm"]["id"]
    token, _ = await officer_of(seeded, JINJIANG_APPROVALS)

    answer = (await seeded.gql.data(VERIFY, {"id": document_id}, token=token))[
        "verifyDocumentOriginal"
    ]
    node = await seeded.gql.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": document_id}, token=token
    )

    # Told what node() tells them: there is no such document; nothing of it is given.
    assert answer == {
        "__typename": "VerifyDocumentOriginalError",
        "code": "NOT_FOUND",
        "field": "documentId",
    }
    assert node["node"] is None
    row = await Document.get()
    assert row.trust_level is TrustLevel.C
    assert row.verified_by_id is None
    assert await DocumentAccess.all().count() == 0


async def test_an_admin_without_a_department_cannot_verify(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = await signed_in(seeded, wechat, "resident")
    uploaded = await program.upload_document("ID_CARD_FRONT", "身份证.jpg", "image/jpeg", jpeg())
    admin = await staff_token(seeded, "demo-admin")

    answer = (await seeded.gql.data(VERIFY, {"id": uploaded["confirm"]["id"]}, token=admin))[
        "verifyDocumentOriginal"
    ]

    assert answer["code"] == "FORBIDDEN"
    assert (await Document.get()).trust_level is TrustLevel.C


# -- 5. implementations: a department writes only for its own region and below


async def test_a_district_cannot_write_a_guide_for_another_district(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, JINJIANG_APPROVALS)
    guide = guide_input(department.code, regionCode="510107", name="食品经营许可（锦江代发）")

    written = (await seeded.gql.data(UPSERT, {"input": guide}, token=token))["upsertImplementation"]

    assert written["__typename"] == "UpsertImplementationError"
    assert written["errorCode"] == "FORBIDDEN"
    assert not await Implementation.filter(
        region__code="510107", department_id=department.id
    ).exists()


async def test_a_district_cannot_publish_into_another_district(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, JINJIANG_APPROVALS)
    admin = await staff_token(seeded, "demo-admin")
    guide = guide_input(department.code, regionCode="510107", name="食品经营许可（锦江代发）")
    # A draft in 武侯区 naming 锦江's department exists (written by an ADMIN, or before the fix).
    draft = (await seeded.gql.data(UPSERT, {"input": guide}, token=admin))["upsertImplementation"]
    assert draft["__typename"] == "Service", draft

    published = (
        await seeded.gql.data(
            PUBLISH, {"input": {"code": draft["code"], "justification": "x"}}, token=token
        )
    )["publishImplementation"]
    search = await seeded.gql.data(
        '{ services(filter: {regionCode: "510107", keyword: "锦江代发"}, first: 5) '
        "{ nodes { name } } }"
    )

    assert published["__typename"] == "PublishImplementationError"
    assert published["errorCode"] == "FORBIDDEN"
    row = await Implementation.get(code=draft["code"], version=draft["version"])
    assert row.status is PublicationStatus.DRAFT
    assert search["services"]["nodes"] == []


async def test_the_city_writes_for_every_district(seeded: RunningApp) -> None:
    token, department = await officer_of(seeded, "成都市公安局")
    guide = guide_input(department.code, regionCode="510107")

    written = (await seeded.gql.data(UPSERT, {"input": guide}, token=token))["upsertImplementation"]

    assert written["__typename"] == "Service", written


# -- 6. reviewing providers is the REVIEWER's (and the ADMIN's), not every officer's

ROLE = """
mutation($u: String!) {
  %s(input: {username: $u, role: REVIEWER}) {
    __typename
    ... on StaffRoleChanged { changed account { roles } }
    ... on %sError { code field }
  }
}
"""
GRANT = ROLE % ("grantStaffRole", "GrantStaffRole")
REVOKE = ROLE % ("revokeStaffRole", "RevokeStaffRole")


async def _roles(seeded: RunningApp, query: str, username: str, token: str) -> dict[str, Any]:
    name = "grantStaffRole" if "grant" in query else "revokeStaffRole"
    answer = await seeded.gql.data(query, {"u": username}, token=token)
    return dict(answer[name])


async def test_an_officer_cannot_review_providers_until_given_the_role(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await resident(seeded, wechat, "owner")
    registered = await register(seeded, owner)
    token, department = await officer_of(seeded, JINJIANG_APPROVALS)
    username = f"officer-{department.code.lower()}"
    admin = await staff_token(seeded, "demo-admin")
    review = {"input": {"providerId": registered["id"], "decision": "APPROVE"}}

    refused = (await seeded.gql.data(REVIEW_PROVIDER, review, token=token))["reviewProvider"]
    assert refused.get("code") == "FORBIDDEN", refused
    pending = await Provider.get(credit_code=registered["creditCode"])
    assert pending.status is ProviderStatus.PENDING

    granted = await _roles(seeded, GRANT, username, admin)
    # The same session: roles apply from the next request, nobody is signed out.
    approved = (await seeded.gql.data(REVIEW_PROVIDER, review, token=token))["reviewProvider"]

    assert granted["changed"] is True
    assert sorted(granted["account"]["roles"]) == ["REVIEWER", "STAFF"]
    assert approved["status"] == "APPROVED"
    provider = await Provider.get(credit_code=registered["creditCode"])
    assert provider.status is ProviderStatus.APPROVED
    officer = await Account.get(username=username)
    assert provider.reviewed_by_id == officer.id
    assert await AuditEvent.filter(action="STAFF_ROLE_GRANTED", success=True).count() == 1


async def test_an_officer_cannot_publish_a_providers_service(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    created = await seeded.gql.data(
        "mutation($input: CreateProviderServiceInput!) { createProviderService(input: $input) "
        "{ ... on ProviderService { id } } }",
        {"input": service_input()},
        token=member.token,
    )
    service_id = created["createProviderService"]["id"]
    await seeded.gql.data(
        "mutation($id: ID!) { submitProviderService(input: {serviceId: $id}) { __typename } }",
        {"id": service_id},
        token=member.token,
    )
    token, _ = await officer_of(seeded, JINJIANG_APPROVALS)
    review = {"input": {"serviceId": service_id, "decision": "APPROVE"}}

    by_officer = (await seeded.gql.data(REVIEW, review, token=token))["reviewProviderService"]
    assert by_officer.get("code") == "FORBIDDEN", by_officer

    reviewer = await staff_token(seeded, "demo-reviewer")
    by_reviewer = (await seeded.gql.data(REVIEW, review, token=reviewer))["reviewProviderService"]
    assert by_reviewer["status"] == "PUBLISHED"


async def test_revoking_the_role_takes_reviewing_away_and_only_admins_grant(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    owner = await resident(seeded, wechat, "owner")
    registered = await register(seeded, owner)
    reviewer = await staff_token(seeded, "demo-reviewer")
    admin = await staff_token(seeded, "demo-admin")
    officer, department = await officer_of(seeded, JINJIANG_APPROVALS)

    by_officer = await _roles(seeded, GRANT, f"officer-{department.code.lower()}", officer)
    by_reviewer = await _roles(seeded, GRANT, f"officer-{department.code.lower()}", reviewer)
    revoked = await _roles(seeded, REVOKE, "demo-reviewer", admin)
    again = await _roles(seeded, REVOKE, "demo-reviewer", admin)
    review = {"input": {"providerId": registered["id"], "decision": "APPROVE"}}
    refused = (await seeded.gql.data(REVIEW_PROVIDER, review, token=reviewer))["reviewProvider"]
    resident_account = await _roles(seeded, GRANT, "nobody-here", admin)

    assert by_officer["code"] == "FORBIDDEN"
    assert by_reviewer["code"] == "FORBIDDEN"
    assert revoked["changed"] is True
    assert again["changed"] is False
    assert refused["code"] == "FORBIDDEN"
    assert resident_account == {
        "__typename": "GrantStaffRoleError",
        "code": "UNKNOWN_STAFF_ACCOUNT",
        "field": "username",
    }
    assert (
        "REVIEWER" not in (await Account.get(username=f"officer-{department.code.lower()}")).roles
    )
    refusals = await AuditEvent.filter(action="STAFF_ROLE_GRANTED", success=False).count()
    assert refusals == 2


async def test_the_cli_grants_and_revokes_the_role(seeded: RunningApp) -> None:
    from api.cli import staff_role

    _, department = await officer_of(seeded, JINJIANG_APPROVALS)
    username = f"officer-{department.code.lower()}"

    granted = await staff_role(seeded.settings, username, grant="REVIEWER", revoke=None)
    revoked = await staff_role(seeded.settings, username, grant=None, revoke="REVIEWER")
    admin_role = await staff_role(seeded.settings, username, grant="ADMIN", revoke=None)
    unknown = await staff_role(seeded.settings, "nobody", grant="REVIEWER", revoke=None)

    assert granted[0] == 0
    assert revoked[0] == 0
    assert admin_role[0] == 2  # ADMIN is not granted this way
    assert unknown[0] == 1
    assert "REVIEWER" not in (await Account.get(username=username)).roles
    assert await AuditEvent.filter(action__startswith="STAFF_ROLE_", success=True).count() == 2
