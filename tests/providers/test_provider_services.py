"""Provider services: create, update, submit, review, suspend, and what residents see before
and after each step (providerServices, node, themes, keyword search)."""

from __future__ import annotations

import httpx

from storage.models.providers import ProviderEvent, ProviderService
from tests.conftest import RunningApp
from tests.providers.conftest import (
    CREATE,
    LIST,
    REVIEW,
    SUBMIT,
    SUSPEND,
    UPDATE,
    ensure_themes,
    member_of_approved_provider,
    published_service,
    resident,
    service_input,
    staff_login,
)
from tests.sql import count_statements

THEME = """
query($code: String!, $region: String) { theme(code: $code) {
  providerServices(regionCode: $region) { id name socialService disclaimer provider { name } }
} }
"""
NODE = "query($id: ID!) { node(id: $id) { ... on ProviderService { id status } } }"


async def _seen_by_resident(
    seeded: RunningApp, token: str | None, service_id: str
) -> dict[str, bool]:
    listed = await seeded.gql.data(LIST, {"filter": {}}, token=token)
    themed = await seeded.gql.data(THEME, {"code": "HOUSING", "region": "510104"}, token=token)
    searched = await seeded.gql.data(LIST, {"filter": {"keyword": "过户"}})
    node = await seeded.gql.data(NODE, {"id": service_id}, token=token)
    return {
        "list": any(e["node"]["id"] == service_id for e in listed["providerServices"]["edges"]),
        "theme": any(s["id"] == service_id for s in themed["theme"]["providerServices"]),
        "search": any(e["node"]["id"] == service_id for e in searched["providerServices"]["edges"]),
        "node": node["node"] is not None,
    }


async def test_residents_see_a_service_only_once_published_and_not_after_suspension(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    someone = await resident(seeded, wechat, "someone")
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING")
    created = (await seeded.gql.data(CREATE, {"input": service_input()}, token=member.token))[
        "createProviderService"
    ]
    service_id = created["id"]
    nothing = {"list": False, "theme": False, "search": False, "node": False}

    as_draft = await _seen_by_resident(seeded, someone.token, service_id)
    own_draft = await seeded.gql.data(NODE, {"id": service_id}, token=member.token)
    staff_draft = await seeded.gql.data(NODE, {"id": service_id}, token=admin)
    await seeded.gql.data(SUBMIT, {"input": {"serviceId": service_id}}, token=member.token)
    as_submitted = await _seen_by_resident(seeded, someone.token, service_id)
    queue = await seeded.gql.data(LIST, {"filter": {"status": "SUBMITTED"}}, token=admin)
    published = await seeded.gql.data(
        REVIEW, {"input": {"serviceId": service_id, "decision": "APPROVE"}}, token=admin
    )
    as_published = await _seen_by_resident(seeded, someone.token, service_id)
    theme = await seeded.gql.data(THEME, {"code": "HOUSING", "region": "510104"})
    suspended = await seeded.gql.data(
        SUSPEND,
        {"input": {"serviceId": service_id, "reason": "多名群众投诉收费不透明"}},
        token=admin,
    )
    as_suspended = await _seen_by_resident(seeded, someone.token, service_id)

    assert created["status"] == "DRAFT"
    assert as_draft == nothing
    assert own_draft["node"] == {"id": service_id, "status": "DRAFT"}
    assert staff_draft["node"] is None  # a provider's unfinished work is its own
    assert as_submitted == nothing
    assert [e["node"]["id"] for e in queue["providerServices"]["edges"]] == [service_id]
    assert published["reviewProviderService"]["status"] == "PUBLISHED"
    assert as_published == {"list": True, "theme": True, "search": True, "node": True}
    listed = theme["theme"]["providerServices"][0]
    assert listed["socialService"] is True
    assert listed["provider"]["name"] == "成都示例家政服务有限公司"
    assert "不属于政务服务事项" in listed["disclaimer"]
    assert suspended["suspendProviderService"]["status"] == "SUSPENDED"
    assert suspended["suspendProviderService"]["reviewReason"] == "多名群众投诉收费不透明"
    assert as_suspended == nothing
    events = await ProviderEvent.filter(service_id__isnull=False).order_by("at", "id")
    assert [e.type.value for e in events] == [
        "SERVICE_CREATED",
        "SERVICE_SUBMITTED",
        "SERVICE_PUBLISHED",
        "SERVICE_SUSPENDED",
    ]


async def test_an_update_puts_a_published_service_back_to_draft_and_off_the_lists(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    service = await published_service(seeded, member)

    updated = await seeded.gql.data(
        UPDATE,
        {"input": {"serviceId": service["id"], "openingHours": "每日 8:00-20:00"}},
        token=member.token,
    )
    anonymous = await seeded.gql.data(LIST, {"filter": {}})

    assert updated["updateProviderService"]["status"] == "DRAFT"
    assert updated["updateProviderService"]["openingHours"] == "每日 8:00-20:00"
    assert updated["updateProviderService"]["themeCodes"] == ["HOUSING"]  # left as it was
    assert anonymous["providerServices"]["edges"] == []


async def test_links_are_checked_strictly(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    cases = [
        ({"kind": "H5", "target": "http://h5.rongban-demo.example/a"}, "LINK_DOMAIN_NOT_ALLOWED"),
        ({"kind": "H5", "target": "https://evil.example.com/a"}, "LINK_DOMAIN_NOT_ALLOWED"),
        (
            {"kind": "H5", "target": "https://u:p@h5.rongban-demo.example/"},
            "LINK_DOMAIN_NOT_ALLOWED",
        ),
        (
            {"kind": "H5", "target": "https://rongban-demo.example.attacker.cn/"},
            "LINK_DOMAIN_NOT_ALLOWED",
        ),
        (
            {"kind": "MINI_PROGRAM", "target": "pages/index/index", "appId": "wx123"},
            "INVALID_APP_ID",
        ),
        ({"kind": "MINI_PROGRAM", "target": "../x", "appId": "wx0123456789abcdef"}, "INVALID_LINK"),
        ({"kind": "PHONE", "target": "12345"}, "INVALID_PHONE"),
        ({"kind": "PHONE", "target": "1390000000a"}, "INVALID_PHONE"),
    ]
    for link, code in cases:
        result = (
            await seeded.gql.data(CREATE, {"input": service_input(link=link)}, token=member.token)
        )["createProviderService"]
        assert (result["__typename"], result["code"]) == ("CreateProviderServiceError", code), link
    ok = [
        {
            "kind": "MINI_PROGRAM",
            "target": "/pages/order/index?from=rb",
            "appId": "wx0123456789abcdef",
        },
        {"kind": "PHONE", "target": "95598"},
        {"kind": "PHONE", "target": "028-8888 8888"},
        {"kind": "PHONE", "target": "400-820-8820"},
    ]
    for link in ok:
        result = (
            await seeded.gql.data(CREATE, {"input": service_input(link=link)}, token=member.token)
        )["createProviderService"]
        assert result["__typename"] == "ProviderService", (link, result)
    assert await ProviderService.all().count() == len(ok)
    stored = await ProviderService.filter(link_kind="PHONE").values_list("link_target", flat=True)
    assert sorted(str(target) for target in stored) == ["02888888888", "4008208820", "95598"]


async def test_other_fields_are_checked_and_nothing_is_written(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    cases = [
        (service_input(themeCodes=["NOPE"]), "UNKNOWN_THEME", "themeCodes[0]"),
        (service_input(regionCodes=["510104", "999999"]), "UNKNOWN_REGION", "regionCodes[1]"),
        (service_input(regionCodes=[]), "UNKNOWN_REGION", "regionCodes"),
        (service_input(description="太短"), "INVALID_DESCRIPTION", "description"),
        (service_input(name="x" * 41), "INVALID_NAME", "name"),
        (service_input(audiences=[]), "INVALID_INPUT", "audiences"),
        (
            service_input(themeCodes=["HOUSING"] * 1 + ["A", "B", "C", "D", "E"]),
            "TOO_MANY_ITEMS",
            "themeCodes",
        ),
    ]
    for variables, code, field in cases:
        result = (await seeded.gql.data(CREATE, {"input": variables}, token=member.token))[
            "createProviderService"
        ]
        assert (result.get("code"), result.get("field")) == (code, field), variables
    assert await ProviderService.all().count() == 0


async def test_members_act_only_on_their_own_providers_services(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    other = await member_of_approved_provider(seeded, wechat, "other", name="成都另一家服务公司")
    service = await published_service(seeded, member)

    updated = await seeded.gql.data(
        UPDATE, {"input": {"serviceId": service["id"], "name": "被改掉的名字"}}, token=other.token
    )
    submitted = await seeded.gql.data(
        SUBMIT, {"input": {"serviceId": service["id"]}}, token=other.token
    )
    reviewed = await seeded.gql(
        REVIEW,
        {"input": {"serviceId": service["id"], "decision": "REJECT", "reason": "x"}},
        token=other.token,
    )
    mine = await seeded.gql.data(
        LIST, {"filter": {"providerId": other.provider_id}}, token=other.token
    )

    assert updated["updateProviderService"]["code"] == "NOT_FOUND"
    assert submitted["submitProviderService"]["code"] == "NOT_FOUND"
    assert reviewed.data["reviewProviderService"]["code"] == "FORBIDDEN"
    assert mine["providerServices"]["edges"] == []
    assert (await ProviderService.get()).name == "水电气过户一站办"


async def test_wrong_transitions_are_refused(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    admin = await staff_login(seeded)
    service = await published_service(seeded, member, admin)

    again = await seeded.gql.data(
        SUBMIT, {"input": {"serviceId": service["id"]}}, token=member.token
    )
    review_again = await seeded.gql.data(
        REVIEW, {"input": {"serviceId": service["id"], "decision": "APPROVE"}}, token=admin
    )
    reject_without_reason = await seeded.gql.data(
        REVIEW, {"input": {"serviceId": service["id"], "decision": "REJECT"}}, token=admin
    )

    assert again["submitProviderService"]["code"] == "INVALID_STATE"
    assert review_again["reviewProviderService"]["code"] == "INVALID_STATE"
    assert reject_without_reason["reviewProviderService"]["code"] == "REASON_REQUIRED"


async def test_a_rejected_service_is_corrected_and_published(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING")
    service = (await seeded.gql.data(CREATE, {"input": service_input()}, token=member.token))[
        "createProviderService"
    ]
    await seeded.gql.data(SUBMIT, {"input": {"serviceId": service["id"]}}, token=member.token)
    rejected = await seeded.gql.data(
        REVIEW,
        {"input": {"serviceId": service["id"], "decision": "REJECT", "reason": "请写明收费标准"}},
        token=admin,
    )
    seen = await seeded.gql.data(
        NODE.replace("status", "status reviewReason"), {"id": service["id"]}, token=member.token
    )
    corrected = await seeded.gql.data(
        UPDATE,
        {
            "input": {
                "serviceId": service["id"],
                "description": "免费办理水电气过户，平台不收取任何费用。",
            }
        },
        token=member.token,
    )
    await seeded.gql.data(SUBMIT, {"input": {"serviceId": service["id"]}}, token=member.token)
    published = await seeded.gql.data(
        REVIEW, {"input": {"serviceId": service["id"], "decision": "APPROVE"}}, token=admin
    )

    assert rejected["reviewProviderService"]["status"] == "REJECTED"
    assert seen["node"]["reviewReason"] == "请写明收费标准"
    assert corrected["updateProviderService"]["status"] == "DRAFT"
    assert corrected["updateProviderService"]["reviewReason"] == ""
    assert published["reviewProviderService"]["status"] == "PUBLISHED"


async def test_the_list_costs_the_same_statements_for_3_or_8_services(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    admin = await staff_login(seeded)
    query = """
    query { providerServices(first: 20) { edges { node {
      id name themeCodes regions { code } provider { name } disclaimer link { kind }
    } } } }
    """

    async def cost(total: int) -> int:
        while await ProviderService.all().count() < total:
            await published_service(
                seeded, member, admin, name=f"服务{await ProviderService.all().count()}号"
            )
        with count_statements() as statements:
            result = await seeded.gql.data(query)
        assert len(result["providerServices"]["edges"]) == total
        return statements.count

    assert await cost(3) == await cost(8)
