"""A provider's members, keys and endpoints, a service's history and the caller's providers
take `first`: defaults keep every row a provider has, `first` keeps the first ones."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from strawberry import relay

from schema.providers.types import API_KEYS, MEMBERS, MY_PROVIDERS, SERVICE_EVENTS, WEBHOOKS
from storage.models.accounts import Account, Role
from storage.repositories import providers as repo
from tests.conftest import RunningApp
from tests.providers.conftest import (
    api_key,
    member_of_approved_provider,
    published_service,
    register,
)

INSIDE = """query($first: Int) {
  myProviders(first: $first) {
    name
    members(first: $first) { owner joinedAt }
    apiKeys(first: $first) { id }
    webhooks(first: $first) { url }
  }
}"""
HISTORY = """query($id: ID!, $first: Int) {
  node(id: $id) { ... on ProviderService { events(first: $first) { type } } }
}"""


def _uuid(global_id: str) -> UUID:
    return UUID(relay.GlobalID.from_id(global_id).node_id)


async def _busy_provider(running: RunningApp, wechat: httpx.AsyncClient) -> Any:
    """An approved provider with three members, three keys and three endpoints."""
    member = await member_of_approved_provider(running, wechat)
    provider_id = _uuid(member.provider_id)
    for _ in range(2):
        account = await Account.create(roles=[Role.RESIDENT.value, Role.PROVIDER.value])
        await repo.add_member(provider_id, account.id, owner=False)
    for _ in range(3):
        await api_key(running, member, "SERVICES_READ")
    for n in range(3):
        await repo.create_webhook(
            provider_id=provider_id,
            url=f"https://hooks.rongban-demo.example/{n}",
            events=["service.reviewed"],
            secret_sealed=running.resources.keyring.seal(
                "whsec_test", context="provider.webhook_secret"
            ),
        )
    return member


async def test_a_providers_lists_take_first(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    member = await _busy_provider(seeded, wechat)
    await register(seeded, member.program, name="成都示例养老服务有限公司")  # a second one

    everything = (await seeded.gql.data(INSIDE, {}, token=member.token))["myProviders"]
    one = (await seeded.gql.data(INSIDE, {"first": 1}, token=member.token))["myProviders"]

    assert len(everything) == 2
    busy = next(p for p in everything if p["members"] and len(p["members"]) == 3)
    assert busy["members"][0]["owner"] is True
    assert len(busy["apiKeys"]) == 3
    assert [w["url"][-1] for w in busy["webhooks"]] == ["0", "1", "2"]
    assert len(one) == 1
    first = next(p for p in everything if p["name"] == one[0]["name"])
    assert one[0] == {
        key: value[:1] if isinstance(value, list) else value for key, value in first.items()
    }


async def test_a_services_history_takes_first(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    service = await published_service(seeded, member)

    everything = (await seeded.gql.data(HISTORY, {"id": service["id"]}, token=member.token))[
        "node"
    ]["events"]
    two = (await seeded.gql.data(HISTORY, {"id": service["id"], "first": 2}, token=member.token))[
        "node"
    ]["events"]

    assert [e["type"] for e in everything][:3] == [
        "SERVICE_CREATED",
        "SERVICE_SUBMITTED",
        "SERVICE_PUBLISHED",
    ]
    assert two == everything[:2]


@pytest.mark.parametrize(
    "first", [0, -5, MY_PROVIDERS.cap + 1, MEMBERS.cap + 1, API_KEYS.cap + 1, WEBHOOKS.cap + 1]
)
async def test_a_first_out_of_range_is_refused(
    seeded: RunningApp, wechat: httpx.AsyncClient, first: int
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    service = await published_service(seeded, member)

    lists = await seeded.gql(INSIDE, {"first": first}, token=member.token)
    history = await seeded.gql(HISTORY, {"id": service["id"], "first": first}, token=member.token)

    assert "BAD_USER_INPUT" in lists.error_codes
    if not 1 <= first <= SERVICE_EVENTS.cap:
        assert history.error_codes == ["BAD_USER_INPUT"]
    assert all(e["extensions"]["field"] == "first" for e in lists.errors + history.errors)
