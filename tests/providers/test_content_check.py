"""WeChat's content check of providers' text: risky text refused, unsure text flagged for the
reviewer, an outage never leads to publication unchecked, and with no recent member visit the
reviewer is the safety net."""

from __future__ import annotations

from datetime import timedelta

import httpx

from api.outbox import dispatcher
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.providers import ProviderService
from tests.conftest import RunningApp
from tests.providers.conftest import (
    CREATE,
    REVIEW,
    SUBMIT,
    api_key,
    bearer,
    ensure_themes,
    member_of_approved_provider,
    service_input,
    staff_login,
)

CHECK = "/wxa/msg_sec_check"


async def _fail_wechat(wechat: httpx.AsyncClient, times: int) -> None:
    await wechat.post("/__mock__/fail", json={"path": CHECK, "errcode": -1, "times": times})


async def test_risky_text_is_refused_and_nothing_is_saved(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")

    result = await seeded.gql.data(
        CREATE,
        {"input": service_input(description="线上代办水电气过户，另有赌博游戏充值优惠。")},
        token=member.token,
    )

    assert result["createProviderService"]["code"] == "CONTENT_RISKY"
    assert await ProviderService.all().count() == 0


async def test_text_wechat_is_unsure_of_is_flagged_for_the_reviewer(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING")

    created = await seeded.gql.data(
        CREATE,
        {"input": service_input(description="提供水电气过户代办，疑似最低价，欢迎咨询。")},
        token=member.token,
    )
    service_id = created["createProviderService"]["id"]
    await seeded.gql.data(SUBMIT, {"input": {"serviceId": service_id}}, token=member.token)
    queue = await seeded.gql.data(
        "{ providerServices(filter: {status: SUBMITTED}) { nodes { id contentCheck } } }",
        token=admin,
    )

    assert created["createProviderService"]["contentCheck"] == "REVIEW"
    assert queue["providerServices"]["nodes"] == [{"id": service_id, "contentCheck": "REVIEW"}]


async def test_a_wechat_outage_holds_publication_until_the_check_comes_back(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING")
    await _fail_wechat(wechat, times=8)  # create and submit both meet the outage

    created = await seeded.gql.data(CREATE, {"input": service_input()}, token=member.token)
    service_id = created["createProviderService"]["id"]
    submitted = await seeded.gql.data(
        SUBMIT, {"input": {"serviceId": service_id}}, token=member.token
    )
    early = await seeded.gql.data(
        REVIEW, {"input": {"serviceId": service_id, "decision": "APPROVE"}}, token=admin
    )
    await dispatcher(seeded.resources).drain()  # WeChat still down: retried later
    waiting = await OutboxMessage.get(kind="provider.content_check")
    await wechat.post("/__mock__/fail", json={"path": CHECK, "times": 0})
    start = seeded.resources.clock()
    seeded.resources.clock = lambda: start + timedelta(hours=2)
    await dispatcher(seeded.resources).drain()
    checked = await ProviderService.get()
    published = await seeded.gql.data(
        REVIEW, {"input": {"serviceId": service_id, "decision": "APPROVE"}}, token=admin
    )

    assert created["createProviderService"]["contentCheck"] == "PENDING"
    assert submitted["submitProviderService"]["status"] == "SUBMITTED"
    assert submitted["submitProviderService"]["contentCheck"] == "PENDING"
    assert early["reviewProviderService"]["code"] == "CONTENT_CHECK_PENDING"
    assert waiting.status is OutboxStatus.FAILED
    assert checked.content_check.value == "PASSED"
    assert published["reviewProviderService"]["status"] == "PUBLISHED"


async def test_risky_text_found_after_an_outage_is_rejected_by_the_system(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    await _fail_wechat(wechat, times=2)

    created = await seeded.gql.data(
        CREATE,
        {"input": service_input(description="水电气过户代办，附送赌博网站会员，欢迎咨询。")},
        token=member.token,
    )
    service_id = created["createProviderService"]["id"]
    await seeded.gql.data(SUBMIT, {"input": {"serviceId": service_id}}, token=member.token)
    await dispatcher(seeded.resources).drain()
    seen = await seeded.gql.data(
        "query($id: ID!) { node(id: $id) { ... on ProviderService { status reviewReason } } }",
        {"id": service_id},
        token=member.token,
    )

    assert seen["node"]["status"] == "REJECTED"
    assert "内容安全检测未通过" in seen["node"]["reviewReason"]


async def test_without_a_recent_member_visit_the_reviewer_is_the_safety_net(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    admin = await staff_login(seeded)
    await ensure_themes("HOUSING")
    key = await api_key(seeded, member, "SERVICES_WRITE", "SERVICES_READ")
    # Three hours later nobody of the provider has opened the mini-program (61010).
    await wechat.post("/__mock__/clock", json={"advance": 3 * 3600})

    created = await seeded.client.post(
        "/provider-api/v1/services", json=service_input(), headers=bearer(key)
    )
    service_id = created.json()["id"]
    submitted = await seeded.client.post(
        f"/provider-api/v1/services/{service_id}/submit", headers=bearer(key)
    )
    published = await seeded.gql.data(
        REVIEW, {"input": {"serviceId": service_id, "decision": "APPROVE"}}, token=admin
    )

    assert created.status_code == 201
    assert created.json()["contentCheck"] == "UNCHECKED"
    assert submitted.json()["status"] == "SUBMITTED"
    assert submitted.json()["contentCheck"] == "UNCHECKED"
    assert published["reviewProviderService"]["status"] == "PUBLISHED"


async def test_a_system_submission_is_checked_with_a_members_recent_visit(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    key = await api_key(seeded, member, "SERVICES_WRITE")

    created = await seeded.client.post(
        "/provider-api/v1/services", json=service_input(), headers=bearer(key)
    )
    submitted = await seeded.client.post(
        f"/provider-api/v1/services/{created.json()['id']}/submit", headers=bearer(key)
    )

    assert created.json()["contentCheck"] == "UNCHECKED"  # a key has no WeChat identity
    assert submitted.json()["contentCheck"] == "PASSED"  # the member's visit vouches
