"""createApiKey / revokeApiKey and the provider API: keys shown once and stored hashed,
scopes on every route, own provider only, revocation at once, rate limits and quotas."""

from __future__ import annotations

import httpx

from storage.models.providers import ApiKey
from tests.conftest import RunningApp
from tests.providers.conftest import (
    CREATE_KEY,
    api_key,
    bearer,
    ensure_themes,
    member_of_approved_provider,
    published_service,
    service_input,
)

API = "/provider-api/v1"
REVOKE = """
mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) {
  __typename ... on ApiKey { id revokedAt } ... on RevokeApiKeyError { code field }
} }
"""


async def test_a_key_is_shown_once_and_stored_only_as_a_hash(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)

    result = await seeded.gql.data(
        CREATE_KEY,
        {"input": {"name": "订单系统", "scopes": ["SERVICES_READ"], "ratePerMinute": 30}},
        token=member.token,
    )
    listed = await seeded.gql.data(
        "query($id: ID!) { node(id: $id) { ... on Provider { apiKeys { prefix scopes } } } }",
        {"id": member.provider_id},
        token=member.token,
    )

    created = result["createApiKey"]
    secret = created["secret"]
    assert secret.startswith("rb_pk_")
    assert len(secret) > 40
    assert created["apiKey"]["prefix"] == secret[:14]
    assert created["apiKey"]["scopes"] == ["SERVICES_READ"]
    assert created["apiKey"]["ratePerMinute"] == 30
    assert created["apiKey"]["dailyQuota"] == 20_000
    assert listed["node"]["apiKeys"] == [{"prefix": secret[:14], "scopes": ["SERVICES_READ"]}]
    row = await ApiKey.get()
    assert secret not in (row.key_hash, row.prefix)
    assert row.key_hash == seeded.resources.keyring.token_hash(secret)


async def test_bad_key_requests_are_refused(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    cases = [
        ({"name": "k", "scopes": []}, "INVALID_SCOPE"),
        ({"name": "k", "scopes": ["WEBHOOKS", "WEBHOOKS"]}, "INVALID_SCOPE"),
        ({"name": "", "scopes": ["WEBHOOKS"]}, "INVALID_NAME"),
        ({"name": "k", "scopes": ["WEBHOOKS"], "ratePerMinute": 100_000}, "INVALID_INPUT"),
        ({"name": "k", "scopes": ["WEBHOOKS"], "dailyQuota": 0}, "INVALID_INPUT"),
    ]
    for variables, code in cases:
        result = await seeded.gql.data(CREATE_KEY, {"input": variables}, token=member.token)
        assert result["createApiKey"]["code"] == code, variables
    assert await ApiKey.all().count() == 0


async def test_scopes_are_enforced_on_every_route(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    await ensure_themes("HOUSING")
    reader = await api_key(seeded, member, "SERVICES_READ")
    writer = await api_key(seeded, member, "SERVICES_WRITE")
    hooks = await api_key(seeded, member, "WEBHOOKS")
    client = seeded.client

    created = await client.post(f"{API}/services", json=service_input(), headers=bearer(writer))
    service_id = created.json()["id"]
    calls = {
        "read with write key": await client.get(f"{API}/services", headers=bearer(writer)),
        "write with read key": await client.post(
            f"{API}/services", json=service_input(), headers=bearer(reader)
        ),
        "update with read key": await client.patch(
            f"{API}/services/{service_id}", json={"name": "改名"}, headers=bearer(reader)
        ),
        "submit with webhooks key": await client.post(
            f"{API}/services/{service_id}/submit", headers=bearer(hooks)
        ),
        "webhooks with read key": await client.get(f"{API}/webhooks", headers=bearer(reader)),
        "exchange with read key": await client.post(
            f"{API}/handoffs/exchange", json={"code": "X"}, headers=bearer(reader)
        ),
    }
    allowed = {
        "read": await client.get(f"{API}/services", headers=bearer(reader)),
        "one": await client.get(f"{API}/services/{service_id}", headers=bearer(reader)),
        "update": await client.patch(
            f"{API}/services/{service_id}", json={"openingHours": "全天"}, headers=bearer(writer)
        ),
        "webhooks": await client.get(f"{API}/webhooks", headers=bearer(hooks)),
    }

    assert created.status_code == 201
    for name, response in calls.items():
        assert response.status_code == 403, name
        assert response.json()["error"]["code"] == "INSUFFICIENT_SCOPE", name
    assert {name: r.status_code for name, r in allowed.items()} == dict.fromkeys(allowed, 200)
    assert allowed["read"].json()["services"][0]["id"] == service_id
    assert allowed["update"].json()["openingHours"] == "全天"
    assert await ApiKey.filter(last_used_at__isnull=False).count() == 3


async def test_a_key_acts_only_on_its_own_providers_data(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    other = await member_of_approved_provider(seeded, wechat, "other", name="成都另一家服务公司")
    theirs = await published_service(seeded, other)
    key = await api_key(seeded, member, "SERVICES_READ", "SERVICES_WRITE")
    client = seeded.client

    listed = await client.get(f"{API}/services", headers=bearer(key))
    one = await client.get(f"{API}/services/{theirs['id']}", headers=bearer(key))
    changed = await client.patch(
        f"{API}/services/{theirs['id']}", json={"name": "抢注"}, headers=bearer(key)
    )
    submitted = await client.post(f"{API}/services/{theirs['id']}/submit", headers=bearer(key))

    assert listed.json()["services"] == []
    assert [one.status_code, changed.status_code, submitted.status_code] == [404, 404, 404]
    assert changed.json()["error"]["code"] == "NOT_FOUND"


async def test_a_revoked_key_is_refused_on_its_next_request(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    other = await member_of_approved_provider(seeded, wechat, "other", name="成都另一家服务公司")
    result = await seeded.gql.data(
        CREATE_KEY, {"input": {"name": "k", "scopes": ["SERVICES_READ"]}}, token=member.token
    )
    key, key_id = result["createApiKey"]["secret"], result["createApiKey"]["apiKey"]["id"]
    before = await seeded.client.get(f"{API}/services", headers=bearer(key))

    by_stranger = await seeded.gql.data(REVOKE, {"input": {"apiKeyId": key_id}}, token=other.token)
    still = await seeded.client.get(f"{API}/services", headers=bearer(key))
    revoked = await seeded.gql.data(REVOKE, {"input": {"apiKeyId": key_id}}, token=member.token)
    after = await seeded.client.get(f"{API}/services", headers=bearer(key))
    again = await seeded.gql.data(REVOKE, {"input": {"apiKeyId": key_id}}, token=member.token)
    nonsense = await seeded.client.get(f"{API}/services", headers=bearer("rb_pk_nonsense"))
    missing = await seeded.client.get(f"{API}/services")

    assert before.status_code == 200
    assert by_stranger["revokeApiKey"]["code"] == "NOT_FOUND"
    assert still.status_code == 200
    assert revoked["revokeApiKey"]["revokedAt"] is not None
    assert after.status_code == 401
    assert after.json()["error"]["code"] == "INVALID_API_KEY"
    assert after.headers["www-authenticate"].startswith("Bearer")
    assert again["revokeApiKey"]["revokedAt"] == revoked["revokeApiKey"]["revokedAt"]
    assert [nonsense.status_code, missing.status_code] == [401, 401]


async def test_each_key_has_its_own_rate_limit_and_daily_quota(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    limited = await api_key(seeded, member, "SERVICES_READ", ratePerMinute=3)
    quota = await api_key(seeded, member, "SERVICES_READ", dailyQuota=2)
    other = await api_key(seeded, member, "SERVICES_READ", ratePerMinute=3)

    minute = [
        (await seeded.client.get(f"{API}/services", headers=bearer(limited))).status_code
        for _ in range(4)
    ]
    refused = await seeded.client.get(f"{API}/services", headers=bearer(limited))
    unaffected = await seeded.client.get(f"{API}/services", headers=bearer(other))
    daily = [
        (await seeded.client.get(f"{API}/services", headers=bearer(quota))).status_code
        for _ in range(3)
    ]

    assert minute == [200, 200, 200, 429]
    assert refused.status_code == 429
    body = refused.json()["error"]
    assert body["code"] == "RATE_LIMITED"
    assert 1 <= body["retryAfterSeconds"] <= 60
    assert refused.headers["retry-after"] == str(body["retryAfterSeconds"])
    assert unaffected.status_code == 200
    assert daily == [200, 200, 429]


async def test_bad_json_is_a_typed_error(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    key = await api_key(seeded, member, "SERVICES_WRITE")
    client = seeded.client

    not_json = await client.post(
        f"{API}/services",
        content=b"{nope",
        headers={**bearer(key), "content-type": "application/json"},
    )
    wrong_type = await client.post(
        f"{API}/services", json={**service_input(), "name": 42}, headers=bearer(key)
    )
    bad_link = await client.post(
        f"{API}/services",
        json={**service_input(), "link": {"kind": "FTP", "target": "x"}},
        headers=bearer(key),
    )
    bad_id = await client.post(f"{API}/services/not-an-id/submit", headers=bearer(key))

    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "INVALID_INPUT")
    assert wrong_type.json()["error"] == {
        "code": "INVALID_INPUT",
        "message": "输入内容不符合要求。",
        "field": "name",
    }
    assert bad_link.json()["error"]["field"] == "link.kind"
    assert bad_id.status_code == 404
