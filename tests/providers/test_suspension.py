"""suspendProvider / reinstateProvider: a reviewer suspends a whole provider and at once its
services leave every public read (lists, keyword search, themes, node), its API keys are
refused on the provider API (401 PROVIDER_SUSPENDED), its members cannot act for it and its
webhook messages are held; reinstatement brings all of it back, held messages included."""

from __future__ import annotations

from typing import Any

import httpx
from standardwebhooks import Webhook

from api.outbox import dispatcher
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.providers import HeldWebhookMessage, ProviderEvent, ProviderEventType
from tests.conftest import RunningApp
from tests.providers.conftest import (
    CREATE,
    LIST,
    REGISTER_WEBHOOK,
    Member,
    Receiver,
    api_key,
    bearer,
    member_of_approved_provider,
    published_service,
    register,
    resident,
    service_input,
    staff_login,
)

PROVIDER_RESULT = """
  __typename
  ... on Provider { id status reviewReason }
"""
SUSPEND_PROVIDER = (
    "mutation($input: SuspendProviderInput!) { suspendProvider(input: $input) { "
    + PROVIDER_RESULT
    + " ... on SuspendProviderError { code field } } }"
)
REINSTATE_PROVIDER = (
    "mutation($input: ReinstateProviderInput!) { reinstateProvider(input: $input) { "
    + PROVIDER_RESULT
    + " ... on ReinstateProviderError { code field } } }"
)
PUBLIC = """
query($id: ID!, $provider: ID!) {
  listed: providerServices { nodes { id } }
  searched: providerServices(filter: {keyword: "过户"}) { nodes { id } }
  theme(code: "HOUSING") { providerServices { id } }
  service: node(id: $id) { id }
  provider: node(id: $provider) { id }
}
"""
API = "/provider-api/v1"


async def _public(running: RunningApp, service_id: str, provider_id: str) -> dict[str, Any]:
    found = await running.gql.data(PUBLIC, {"id": service_id, "provider": provider_id})
    return {
        "listed": [n["id"] for n in found["listed"]["nodes"]],
        "searched": [n["id"] for n in found["searched"]["nodes"]],
        "theme": [s["id"] for s in found["theme"]["providerServices"]],
        "service": found["service"],
        "provider": found["provider"],
    }


async def _suspend(running: RunningApp, member: Member, token: str, **kw: Any) -> dict[str, Any]:
    result = await running.gql.data(
        SUSPEND_PROVIDER,
        {"input": {"providerId": member.provider_id, "reason": "多次被群众投诉，暂停整改", **kw}},
        token=token,
    )
    return dict(result["suspendProvider"])


async def _reinstate(running: RunningApp, member: Member, token: str) -> dict[str, Any]:
    result = await running.gql.data(
        REINSTATE_PROVIDER, {"input": {"providerId": member.provider_id}}, token=token
    )
    return dict(result["reinstateProvider"])


async def test_a_suspended_providers_services_leave_every_public_read_at_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    reviewer = await staff_login(seeded, "demo-reviewer")
    service = await published_service(seeded, member, reviewer)
    before = await _public(seeded, service["id"], member.provider_id)

    suspended = await _suspend(seeded, member, reviewer)
    during = await _public(seeded, service["id"], member.provider_id)
    own = await seeded.gql.data(LIST, {}, token=member.token)
    refused = await seeded.gql.data(CREATE, {"input": service_input()}, token=member.token)
    reinstated = await _reinstate(seeded, member, reviewer)
    after = await _public(seeded, service["id"], member.provider_id)

    visible = [service["id"]]
    assert before == {
        "listed": visible,
        "searched": visible,
        "theme": visible,
        "service": {"id": service["id"]},
        "provider": {"id": member.provider_id},
    }
    assert suspended == {
        "__typename": "Provider",
        "id": member.provider_id,
        "status": "SUSPENDED",
        "reviewReason": "多次被群众投诉，暂停整改",  # staff and members read it
    }
    assert during == {"listed": [], "searched": [], "theme": [], "service": None, "provider": None}
    # Its members still see their own services (PUBLISHED, back as they were later) ...
    assert [(e["node"]["id"], e["node"]["status"]) for e in own["providerServices"]["edges"]] == [
        (service["id"], "PUBLISHED")
    ]
    # ... but cannot act for the provider meanwhile.
    assert refused["createProviderService"]["code"] == "PROVIDER_SUSPENDED"
    assert reinstated["status"] == "APPROVED"
    assert after == before
    events = await ProviderEvent.filter(
        type__in=[ProviderEventType.SUSPENDED, ProviderEventType.REINSTATED]
    ).order_by("at")
    assert [(e.type, e.status, e.note) for e in events] == [
        (ProviderEventType.SUSPENDED, "SUSPENDED", "多次被群众投诉，暂停整改"),
        (ProviderEventType.REINSTATED, "APPROVED", ""),
    ]
    assert all(e.actor_id is not None for e in events)
    inbox = await OutboxMessage.filter(kind="notification.inbox").order_by("seq")
    told = [m.payload for m in inbox if m.payload["topic"] == "PROVIDER_STATUS"]
    assert [m["title"] for m in told] == ["服务机构已被暂停", "服务机构已恢复"]
    assert "多次被群众投诉" in told[0]["body"]
    assert told[0]["account_ids"] == told[1]["account_ids"]
    assert len(told[0]["account_ids"]) == 1  # its one member


async def test_its_api_keys_are_refused_while_it_is_suspended(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    reviewer = await staff_login(seeded, "demo-reviewer")
    key = await api_key(seeded, member, "SERVICES_READ")
    client = seeded.client

    before = await client.get(f"{API}/services", headers=bearer(key))
    await _suspend(seeded, member, reviewer)
    during = await client.get(f"{API}/services", headers=bearer(key))
    unknown = await client.get(f"{API}/services", headers=bearer("rb_pk_" + "x" * 43))
    await _reinstate(seeded, member, reviewer)
    after = await client.get(f"{API}/services", headers=bearer(key))

    assert before.status_code == 200
    assert during.status_code == 401
    assert during.json()["error"]["code"] == "PROVIDER_SUSPENDED"
    assert during.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert unknown.json()["error"]["code"] == "INVALID_API_KEY"
    assert after.status_code == 200


async def test_webhook_messages_are_held_while_suspended_and_sent_on_reinstatement(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver: Receiver
) -> None:
    member = await member_of_approved_provider(loopback_app, wechat)
    registered = await loopback_app.gql.data(
        REGISTER_WEBHOOK,
        {"input": {"url": receiver.url, "events": ["SERVICE_REVIEWED"]}},
        token=member.token,
    )
    secret = registered["registerWebhook"]["secret"]
    reviewer = await staff_login(loopback_app, "demo-reviewer")
    # The review's message is queued; the provider is suspended before it is sent.
    service = await published_service(loopback_app, member, reviewer)
    await _suspend(loopback_app, member, reviewer)

    await dispatcher(loopback_app.resources).drain()
    held = await HeldWebhookMessage.all()
    sent_while_suspended = len(receiver.received)
    await _reinstate(loopback_app, member, reviewer)
    await dispatcher(loopback_app.resources).drain()

    assert sent_while_suspended == 0
    assert len(held) == 1
    # Not a failure: no attempt used, nothing dead.
    assert await OutboxMessage.filter(status=OutboxStatus.DEAD).count() == 0
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    payload = Webhook(secret).verify(body, headers)
    assert payload["type"] == "service.reviewed"
    assert payload["data"]["serviceId"] == service["id"]
    assert headers["webhook-id"] == held[0].payload["webhook_id"]
    assert await HeldWebhookMessage.all().count() == 0


async def test_only_an_approved_provider_is_suspended_and_only_a_suspended_one_reinstated(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    applicant = await resident(seeded, wechat, "applicant")
    pending = await register(seeded, applicant)
    reviewer = await staff_login(seeded, "demo-reviewer")

    without_reason = await _suspend(seeded, member, reviewer, reason="  ")
    not_suspended = await _reinstate(seeded, member, reviewer)
    pending_suspended = await seeded.gql.data(
        SUSPEND_PROVIDER, {"input": {"providerId": pending["id"], "reason": "x"}}, token=reviewer
    )
    by_member = await _suspend(seeded, member, member.token)

    assert without_reason["code"] == "REASON_REQUIRED"
    assert not_suspended == {
        "__typename": "ReinstateProviderError",
        "code": "INVALID_STATE",
        "field": "providerId",
    }
    assert pending_suspended["suspendProvider"]["code"] == "INVALID_STATE"
    assert by_member["code"] == "FORBIDDEN"
    assert await ProviderEvent.filter(type=ProviderEventType.SUSPENDED).count() == 0
