"""Every provider list costs the same SQL statements for few or many rows (no N+1)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from storage.models.providers import WebhookDelivery, WebhookEndpoint
from tests.conftest import RunningApp
from tests.providers.conftest import (
    REGISTER_WEBHOOK,
    member_of_approved_provider,
    published_service,
    register,
    resident,
    staff_login,
)
from tests.sql import count_statements


async def test_my_consents_cost_the_same_for_2_or_5(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    service = await published_service(seeded, member)
    program = await resident(seeded, wechat, "buyer")
    grant = (
        "mutation($id: ID!) { grantHandoffConsent(input: {serviceId: $id, fields: [PHONE]}) "
        "{ __typename } }"
    )
    query = "{ myConsents { nodes { id fields active providerName serviceName } } }"

    async def cost(total: int) -> int:
        for _ in range(
            total - len((await seeded.gql.data(query, token=program.token))["myConsents"]["nodes"])
        ):
            await seeded.gql.data(grant, {"id": service["id"]}, token=program.token)
        with count_statements() as statements:
            result = await seeded.gql.data(query, token=program.token)
        assert len(result["myConsents"]["nodes"]) == total
        return statements.count

    assert await cost(2) == await cost(5)


async def test_the_providers_queue_costs_the_same_for_2_or_4(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    admin = await staff_login(seeded)
    query = (
        "{ providers(filter: {status: PENDING}) { nodes { id name contactPhoneMasked "
        "members { nameMasked owner } } } }"
    )

    async def cost(total: int) -> int:
        while len((await seeded.gql.data(query, token=admin))["providers"]["nodes"]) < total:
            count = len((await seeded.gql.data(query, token=admin))["providers"]["nodes"])
            program = await resident(seeded, wechat, f"owner-{count}")
            await register(seeded, program, name=f"成都示例服务公司{count}")
        with count_statements() as statements:
            await seeded.gql.data(query, token=admin)
        return statements.count

    assert await cost(2) == await cost(4)


async def test_the_delivery_log_costs_the_same_for_2_or_6(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await seeded.gql.data(
        REGISTER_WEBHOOK,
        {"input": {"url": "https://hooks.example.com/a", "events": ["SERVICE_REVIEWED"]}},
        token=member.token,
    )
    endpoint = await WebhookEndpoint.get()
    query = (
        "query($id: ID!) { node(id: $id) { ... on Provider { webhooks { deliveries { "
        "nodes { attempt succeeded statusCode } } } } } }"
    )

    async def cost(total: int) -> int:
        while await WebhookDelivery.all().count() < total:
            await WebhookDelivery.create(
                endpoint_id=endpoint.id,
                outbox_id=uuid.uuid4(),
                webhook_id=f"msg_{uuid.uuid4().hex}",
                event="service.reviewed",
                attempt=1,
                succeeded=True,
                duration_ms=12,
                at=datetime.now(UTC),
            )
        with count_statements() as statements:
            result = await seeded.gql.data(query, {"id": member.provider_id}, token=member.token)
        assert len(result["node"]["webhooks"][0]["deliveries"]["nodes"]) == total
        return statements.count

    assert await cost(2) == await cost(6)
