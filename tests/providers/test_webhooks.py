"""Webhooks: events signed per Standard Webhooks (verified here by the reference library), sent
through the outbox with retries and backoff, a delivery log, test deliveries, secret rotation
with both secrets valid, and no deliveries into our own network."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from api.outbox import dispatcher
from integrations.providers import HttpWebhookSender, WebhookFailure
from storage.models.outbox import OutboxMessage, OutboxStatus
from storage.models.providers import WebhookDelivery
from tests.conftest import RunningApp
from tests.providers.conftest import (
    REGISTER,
    REGISTER_WEBHOOK,
    REVIEW_PROVIDER,
    SUSPEND,
    Member,
    Receiver,
    member_of_approved_provider,
    published_service,
    resident,
    staff_login,
)

ALL = ["PROVIDER_REVIEWED", "SERVICE_REVIEWED", "SERVICE_SUSPENDED", "HANDOFF_CREATED"]
DELIVERIES = """
query($id: ID!) { node(id: $id) { ... on Provider { webhooks { id deliveries {
  nodes { webhookMessageId event attempt succeeded willRetry statusCode error }
} } } } }
"""


async def _register(
    running: RunningApp, member: Member, url: str, events: list[str] = ALL
) -> dict[str, Any]:
    result = await running.gql.data(
        REGISTER_WEBHOOK, {"input": {"url": url, "events": events}}, token=member.token
    )
    return dict(result["registerWebhook"])


def _verified(secret: str, headers: dict[str, str], body: bytes) -> Any:
    return Webhook(secret).verify(body, headers)


async def _later(running: RunningApp, hours: float) -> None:
    """Moves the app's clock on (past the backoff) and runs the dispatcher."""
    now = running.resources.clock()
    running.resources.clock = lambda: now + timedelta(hours=hours)
    await dispatcher(running.resources).drain()


async def test_a_review_reaches_the_endpoint_signed_and_logged(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver: Receiver
) -> None:
    member = await member_of_approved_provider(loopback_app, wechat)
    registered = await _register(loopback_app, member, receiver.url)
    secret = registered["secret"]

    service = await published_service(loopback_app, member)
    await dispatcher(loopback_app.resources).drain()
    log = await loopback_app.gql.data(DELIVERIES, {"id": member.provider_id}, token=member.token)

    assert secret.startswith("whsec_")
    assert sorted(registered["webhook"]["events"]) == sorted(ALL)
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    payload = _verified(secret, headers, body)
    assert payload["type"] == "service.reviewed"
    assert payload["data"] == {"serviceId": service["id"], "status": "PUBLISHED", "reason": ""}
    assert headers["webhook-id"].startswith("msg_")
    assert headers["content-type"] == "application/json"
    deliveries = log["node"]["webhooks"][0]["deliveries"]["nodes"]
    assert deliveries == [
        {
            "webhookMessageId": headers["webhook-id"],
            "event": "service.reviewed",
            "attempt": 1,
            "succeeded": True,
            "willRetry": False,
            "statusCode": 200,
            "error": "",
        }
    ]
    with pytest.raises(WebhookVerificationError):
        _verified(secret, headers, body.replace(b"PUBLISHED", b"REJECTED"))


async def test_failures_are_retried_with_backoff_then_delivered(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver: Receiver
) -> None:
    member = await member_of_approved_provider(loopback_app, wechat)
    secret = (await _register(loopback_app, member, receiver.url, ["SERVICE_SUSPENDED"]))["secret"]
    service = await published_service(loopback_app, member)
    admin = await staff_login(loopback_app)
    receiver.script = [500, 503]

    await loopback_app.gql.data(
        SUSPEND, {"input": {"serviceId": service["id"], "reason": "资质过期"}}, token=admin
    )
    await dispatcher(loopback_app.resources).drain()
    again_at_once = await dispatcher(loopback_app.resources).drain()
    message = await OutboxMessage.get(kind="provider.webhook")
    after_first = (message.status, message.attempts)
    await _later(loopback_app, 1)
    await _later(loopback_app, 3)
    final = await OutboxMessage.get(id=message.id)
    log = await WebhookDelivery.all().order_by("attempt")

    assert again_at_once == 0  # not due before its backoff
    assert after_first == (OutboxStatus.FAILED, 1)
    assert final.status is OutboxStatus.DELIVERED
    assert [(d.attempt, d.status_code, d.succeeded, d.will_retry) for d in log] == [
        (1, 500, False, True),
        (2, 503, False, True),
        (3, 200, True, False),
    ]
    assert log[0].error == "HTTP 500"
    ids = {headers["webhook-id"] for headers, _ in receiver.received}
    assert len(receiver.received) == 3
    assert len(ids) == 1  # one message, three attempts
    for headers, body in receiver.received:
        assert _verified(secret, headers, body)["data"]["reason"] == "资质过期"


async def test_a_message_is_dead_after_the_configured_attempts(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver: Receiver
) -> None:
    member = await member_of_approved_provider(loopback_app, wechat)
    await _register(loopback_app, member, receiver.url, ["SERVICE_REVIEWED"])
    receiver.script = [500] * 10

    await published_service(loopback_app, member)
    await dispatcher(loopback_app.resources).drain()
    for hours in (1, 3, 7, 15):
        await _later(loopback_app, hours)
    message = await OutboxMessage.get(kind="provider.webhook")
    log = await WebhookDelivery.all().order_by("attempt")

    assert message.status is OutboxStatus.DEAD
    assert message.attempts == 4  # outbox_max_attempts of the fixture
    assert [d.will_retry for d in log] == [True, True, True, False]
    assert len(receiver.received) == 4


async def test_rotation_signs_with_both_secrets_until_the_old_one_expires(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver: Receiver
) -> None:
    member = await member_of_approved_provider(loopback_app, wechat)
    registered = await _register(loopback_app, member, receiver.url)
    old, webhook_id = registered["secret"], registered["webhook"]["id"]
    rotate = """
    mutation($input: RotateWebhookSecretInput!) { rotateWebhookSecret(input: $input) {
      __typename ... on WebhookSecret { secret webhook { previousSecretExpiresAt } }
    } }
    """
    test = """
    mutation($input: TestWebhookDeliveryInput!) { testWebhookDelivery(input: $input) {
      __typename ... on WebhookTestQueued { webhookMessageId }
      ... on TestWebhookDeliveryError { code }
    } }
    """

    rotated = (
        await loopback_app.gql.data(
            rotate, {"input": {"webhookId": webhook_id}}, token=member.token
        )
    )["rotateWebhookSecret"]
    queued = await loopback_app.gql.data(
        test, {"input": {"webhookId": webhook_id}}, token=member.token
    )
    await dispatcher(loopback_app.resources).drain()
    during = receiver.received[-1]
    await loopback_app.gql.data(test, {"input": {"webhookId": webhook_id}}, token=member.token)
    await _later(loopback_app, 25)  # past the 24-hour grace
    after = receiver.received[-1]

    new = rotated["secret"]
    assert new != old
    assert rotated["webhook"]["previousSecretExpiresAt"] is not None
    headers, body = during
    assert headers["webhook-id"] == queued["testWebhookDelivery"]["webhookMessageId"]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert _verified(old, headers, body)["type"] == "webhook.test"
    assert _verified(new, headers, body)["type"] == "webhook.test"
    headers, body = after
    assert len(headers["webhook-signature"].split(" ")) == 1
    assert _verified(new, headers, body)["type"] == "webhook.test"
    with pytest.raises(WebhookVerificationError):
        _verified(old, headers, body)


async def test_the_review_of_a_pending_provider_arrives_by_webhook(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver: Receiver
) -> None:
    program = await resident(loopback_app, wechat, "owner")
    from tests.providers.conftest import credit_code

    registered = (
        await loopback_app.gql.data(
            REGISTER,
            {
                "input": {
                    "name": "成都示例诊所有限公司",
                    "creditCode": credit_code(),
                    "contact": {"name": "赵六", "phone": "13800001111"},
                }
            },
            token=program.token,
        )
    )["registerProvider"]
    secret = (
        await loopback_app.gql.data(
            REGISTER_WEBHOOK,
            {"input": {"url": receiver.url, "events": ["PROVIDER_REVIEWED"]}},
            token=program.token,
        )
    )["registerWebhook"]["secret"]
    admin = await staff_login(loopback_app)
    await loopback_app.gql.data(
        REVIEW_PROVIDER,
        {"input": {"providerId": registered["id"], "decision": "APPROVE"}},
        token=admin,
    )
    await dispatcher(loopback_app.resources).drain()

    headers, body = receiver.received[0]
    payload = _verified(secret, headers, body)
    assert payload["type"] == "provider.reviewed"
    assert payload["data"]["status"] == "APPROVED"
    assert orjson.loads(body)["timestamp"]


async def test_endpoints_inside_our_network_are_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    cases = {
        "http://hooks.example.com/x": "INVALID_URL",  # https only outside loopback
        "https://10.1.2.3/hook": "URL_NOT_ALLOWED",
        "https://192.168.1.10/hook": "URL_NOT_ALLOWED",
        "https://169.254.169.254/latest/meta-data": "URL_NOT_ALLOWED",
        "https://[::1]/hook": "URL_NOT_ALLOWED",
        "http://127.0.0.1:9/hook": "URL_NOT_ALLOWED",  # loopback only where dev allows it
        "https://localhost/hook": "URL_NOT_ALLOWED",
        "https://intranet.local/hook": "URL_NOT_ALLOWED",
        "https://user:pw@hooks.example.com/x": "INVALID_URL",
        "ftp://hooks.example.com/x": "INVALID_URL",
    }
    for url, code in cases.items():
        result = await _register(seeded, member, url)
        assert result["code"] == code, url

    allowed = await _register(
        seeded, member, "https://hooks.example.com/rongban", ["SERVICE_REVIEWED"]
    )
    assert allowed["__typename"] == "WebhookSecret"


async def test_the_sender_refuses_names_that_resolve_inside(receiver: Receiver) -> None:
    strict = HttpWebhookSender(timeout=2, allow_loopback=False, https_only=False)
    loose = HttpWebhookSender(timeout=2, allow_loopback=True, https_only=False)
    port = receiver.url.split(":")[2].split("/")[0]
    try:
        with pytest.raises(WebhookFailure, match="address not allowed"):
            await strict.post(f"http://localhost:{port}/hook", b"{}", {})
        answered = await loose.post(f"http://localhost:{port}/hook", b"{}", {})
    finally:
        await strict.close()
        await loose.close()
    assert answered.status_code == 200
    assert receiver.received[0][0]["host"] == f"localhost:{port}"


async def test_only_members_manage_an_endpoint(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver: Receiver
) -> None:
    member = await member_of_approved_provider(loopback_app, wechat)
    other = await member_of_approved_provider(
        loopback_app, wechat, "other", name="成都另一家服务公司"
    )
    webhook_id = (await _register(loopback_app, member, receiver.url))["webhook"]["id"]
    mutations = {
        "rotateWebhookSecret": "RotateWebhookSecretInput",
        "testWebhookDelivery": "TestWebhookDeliveryInput",
        "deleteWebhook": "DeleteWebhookInput",
    }
    for name, input_type in mutations.items():
        error = name[0].upper() + name[1:] + "Error"
        result = await loopback_app.gql.data(
            f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ __typename "
            f"... on {error} {{ code }} }} }}",
            {"input": {"webhookId": webhook_id}},
            token=other.token,
        )
        assert result[name] == {"__typename": error, "code": "NOT_FOUND"}, name
    seen = await loopback_app.gql.data(DELIVERIES, {"id": member.provider_id}, token=other.token)
    deleted = await loopback_app.gql.data(
        "mutation($id: ID!) { deleteWebhook(input: {webhookId: $id}) { __typename } }",
        {"id": webhook_id},
        token=member.token,
    )
    await published_service(loopback_app, member)
    await dispatcher(loopback_app.resources).drain()

    assert seen["node"]["webhooks"] == []
    assert deleted["deleteWebhook"]["__typename"] == "WebhookDeleted"
    assert receiver.received == []  # deleted: no more deliveries
