"""Hand-off with consent: the code gives the provider exactly the consented fields, once;
withdrawn, expired, other providers' and used codes give nothing; without consent nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from api.outbox import dispatcher
from mock_wechat.client import MiniProgram
from storage.models.outbox import OutboxMessage
from storage.models.providers import HandoffConsent
from tests.conftest import RunningApp
from tests.documents.conftest import signed_in
from tests.identity import id_number
from tests.providers.conftest import (
    api_key,
    bearer,
    member_of_approved_provider,
    published_service,
    resident,
)

API = "/provider-api/v1/handoffs/exchange"
GRANT = """
mutation($input: GrantHandoffConsentInput!) { grantHandoffConsent(input: $input) {
  __typename
  ... on HandoffGrant { handoffCode expiresAt link { kind target }
                        consent { id fields active providerName serviceName } }
  ... on GrantHandoffConsentError { code message field }
} }
"""
WITHDRAW = """
mutation($input: WithdrawHandoffConsentInput!) { withdrawHandoffConsent(input: $input) {
  __typename ... on HandoffConsent { id active withdrawnAt exchangedAt }
  ... on WithdrawHandoffConsentError { code }
} }
"""
MINE = "{ myConsents { nodes { id fields active exchangedAt withdrawnAt serviceName } } }"


async def _setup(seeded: RunningApp, wechat: httpx.AsyncClient) -> tuple[str, str, MiniProgram]:
    member = await member_of_approved_provider(seeded, wechat)
    service = await published_service(seeded, member)
    key = await api_key(seeded, member, "HANDOFFS")
    program = await resident(seeded, wechat, "buyer", phone="13700001234")
    return service["id"], key, program


async def test_the_code_gives_exactly_the_consented_fields_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service_id, key, program = await _setup(seeded, wechat)

    granted = (
        await seeded.gql.data(
            GRANT, {"input": {"serviceId": service_id, "fields": ["PHONE"]}}, token=program.token
        )
    )["grantHandoffConsent"]
    code = granted["handoffCode"]
    exchanged = await seeded.client.post(API, json={"code": code}, headers=bearer(key))
    again = await seeded.client.post(API, json={"code": code}, headers=bearer(key))
    mine = await seeded.gql.data(MINE, token=program.token)

    assert len(code) == 12
    assert granted["link"]["target"] == (
        f"https://h5.rongban-demo.example/transfer?rb_handoff={code}"
    )
    assert granted["consent"]["fields"] == ["PHONE"]
    assert granted["consent"]["serviceName"] == "水电气过户一站办"
    assert exchanged.status_code == 200
    body = exchanged.json()
    assert body["fields"] == ["PHONE"]
    assert body["phone"] == "+8613700001234"
    assert body["name"] is None  # not consented: not shared, although verified
    assert body["handoffId"] == granted["consent"]["id"]
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "INVALID_CODE"
    consent = mine["myConsents"]["nodes"][0]
    assert consent["active"] is False
    assert consent["exchangedAt"] is not None
    created = await OutboxMessage.filter(kind="provider.webhook").count()
    assert created == 0  # no endpoint registered: nothing queued


async def test_name_and_phone_both_when_both_are_consented(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service_id, key, program = await _setup(seeded, wechat)
    code = (
        await seeded.gql.data(
            GRANT,
            {"input": {"serviceId": service_id, "fields": ["NAME", "PHONE"]}},
            token=program.token,
        )
    )["grantHandoffConsent"]["handoffCode"]

    exchanged = await seeded.client.post(
        API, json={"code": f" {code[:4]}-{code[4:8].lower()}-{code[8:]} "}, headers=bearer(key)
    )

    assert exchanged.json()["name"] == "李四"
    assert exchanged.json()["phone"] == "+8613700001234"


async def test_a_withdrawn_consent_shares_nothing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service_id, key, program = await _setup(seeded, wechat)
    granted = (
        await seeded.gql.data(
            GRANT, {"input": {"serviceId": service_id, "fields": ["NAME"]}}, token=program.token
        )
    )["grantHandoffConsent"]

    withdrawn = await seeded.gql.data(
        WITHDRAW, {"input": {"consentId": granted["consent"]["id"]}}, token=program.token
    )
    exchanged = await seeded.client.post(
        API, json={"code": granted["handoffCode"]}, headers=bearer(key)
    )

    assert withdrawn["withdrawHandoffConsent"]["active"] is False
    assert withdrawn["withdrawHandoffConsent"]["withdrawnAt"] is not None
    assert exchanged.json()["error"]["code"] == "INVALID_CODE"
    assert (await HandoffConsent.get()).exchanged_at is None


async def test_a_withdrawal_after_the_exchange_tells_the_provider_to_delete(
    loopback_app: RunningApp, wechat: httpx.AsyncClient, receiver
) -> None:
    from tests.providers.conftest import REGISTER_WEBHOOK

    member = await member_of_approved_provider(loopback_app, wechat)
    await loopback_app.gql.data(
        REGISTER_WEBHOOK,
        {"input": {"url": receiver.url, "events": ["HANDOFF_CREATED", "HANDOFF_WITHDRAWN"]}},
        token=member.token,
    )
    service = await published_service(loopback_app, member)
    key = await api_key(loopback_app, member, "HANDOFFS")
    program = await resident(loopback_app, wechat, "buyer", phone="13700001234")
    granted = (
        await loopback_app.gql.data(
            GRANT, {"input": {"serviceId": service["id"], "fields": ["PHONE"]}}, token=program.token
        )
    )["grantHandoffConsent"]
    await loopback_app.client.post(API, json={"code": granted["handoffCode"]}, headers=bearer(key))

    await loopback_app.gql.data(
        WITHDRAW, {"input": {"consentId": granted["consent"]["id"]}}, token=program.token
    )
    await dispatcher(loopback_app.resources).drain()

    import orjson

    types = [orjson.loads(body)["type"] for _, body in receiver.received]
    assert types == ["handoff.created", "handoff.withdrawn"]
    data = orjson.loads(receiver.received[1][1])["data"]
    assert data["handoffId"] == granted["consent"]["id"]
    assert data["fields"] == ["PHONE"]
    # No personal data in webhooks: neither the number nor its digits (a bare "137" could
    # match a timestamp's microseconds).
    for _, body in receiver.received:
        assert "13700001234" not in body.decode()
        assert "0001234" not in body.decode()


async def test_codes_work_only_for_their_provider_and_only_in_time(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service_id, key, program = await _setup(seeded, wechat)
    other = await member_of_approved_provider(seeded, wechat, "other", name="成都另一家服务公司")
    other_key = await api_key(seeded, other, "HANDOFFS")
    first = (
        await seeded.gql.data(
            GRANT, {"input": {"serviceId": service_id, "fields": ["PHONE"]}}, token=program.token
        )
    )["grantHandoffConsent"]["handoffCode"]
    second = (
        await seeded.gql.data(
            GRANT, {"input": {"serviceId": service_id, "fields": ["PHONE"]}}, token=program.token
        )
    )["grantHandoffConsent"]["handoffCode"]

    stolen = await seeded.client.post(API, json={"code": first}, headers=bearer(other_key))
    start = seeded.resources.clock()
    seeded.resources.clock = lambda: start + timedelta(minutes=11)
    late = await seeded.client.post(API, json={"code": second}, headers=bearer(key))
    seeded.resources.clock = lambda: start
    rightful = await seeded.client.post(API, json={"code": first}, headers=bearer(key))

    assert stolen.json()["error"]["code"] == "INVALID_CODE"
    assert late.json()["error"]["code"] == "INVALID_CODE"
    assert rightful.json()["phone"] == "+8613700001234"


async def test_two_racing_exchanges_get_the_fields_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service_id, key, program = await _setup(seeded, wechat)
    code = (
        await seeded.gql.data(
            GRANT, {"input": {"serviceId": service_id, "fields": ["PHONE"]}}, token=program.token
        )
    )["grantHandoffConsent"]["handoffCode"]

    results = await asyncio.gather(
        seeded.client.post(API, json={"code": code}, headers=bearer(key)),
        seeded.client.post(API, json={"code": code}, headers=bearer(key)),
    )

    assert sorted(r.status_code for r in results) == [200, 400]


async def test_guessing_codes_blocks_the_provider_for_a_while(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    service_id, key, program = await _setup(seeded, wechat)
    code = (
        await seeded.gql.data(
            GRANT, {"input": {"serviceId": service_id, "fields": ["PHONE"]}}, token=program.token
        )
    )["grantHandoffConsent"]["handoffCode"]

    for _ in range(20):
        await seeded.client.post(API, json={"code": "ABCDEFGHJKMN"}, headers=bearer(key))
    blocked = await seeded.client.post(API, json={"code": code}, headers=bearer(key))

    assert blocked.status_code == 429  # even the right code waits: guessing gains nothing
    assert blocked.json()["error"]["code"] == "RATE_LIMITED"


async def test_consent_needs_the_data_and_a_visible_service(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    service = await published_service(seeded, member)
    fresh = await signed_in(seeded, wechat, "fresh")  # no identity, no phone

    cases = [
        ({"serviceId": service["id"], "fields": ["NAME"]}, "NAME_UNAVAILABLE"),
        ({"serviceId": service["id"], "fields": ["PHONE"]}, "PHONE_UNAVAILABLE"),
        ({"serviceId": service["id"], "fields": []}, "INVALID_FIELDS"),
        ({"serviceId": service["id"], "fields": ["NAME", "NAME"]}, "INVALID_FIELDS"),
        ({"serviceId": "UHJvdmlkZXJTZXJ2aWNlOng=", "fields": ["NAME"]}, "NOT_FOUND"),
    ]
    for variables, code in cases:
        result = await seeded.gql.data(GRANT, {"input": variables}, token=fresh.token)
        assert result["grantHandoffConsent"]["code"] == code, variables
    verified = await fresh.verify_identity("周七", id_number())
    ok = await seeded.gql.data(
        GRANT, {"input": {"serviceId": service["id"], "fields": ["NAME"]}}, token=fresh.token
    )
    anonymous = await seeded.gql(GRANT, {"input": {"serviceId": service["id"], "fields": ["NAME"]}})

    assert verified["__typename"] == "Account"
    assert ok["grantHandoffConsent"]["__typename"] == "HandoffGrant"
    assert anonymous.data["grantHandoffConsent"]["code"] == "UNAUTHENTICATED"
    assert await HandoffConsent.all().count() == 1


async def test_a_member_exchanges_through_graphql_and_strangers_cannot_withdraw(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    member = await member_of_approved_provider(seeded, wechat)
    service = await published_service(seeded, member)
    program = await resident(seeded, wechat, "buyer", phone="13700009999")
    granted = (
        await seeded.gql.data(
            GRANT, {"input": {"serviceId": service["id"], "fields": ["PHONE"]}}, token=program.token
        )
    )["grantHandoffConsent"]

    stranger = await seeded.gql.data(
        WITHDRAW, {"input": {"consentId": granted["consent"]["id"]}}, token=member.token
    )
    exchanged = await seeded.gql.data(
        "mutation($code: String!) { exchangeHandoffCode(input: {code: $code}) { __typename "
        "... on HandoffData { fields phone name } ... on ExchangeHandoffCodeError { code } } }",
        {"code": granted["handoffCode"]},
        token=member.token,
    )

    assert stranger["withdrawHandoffConsent"]["code"] == "NOT_FOUND"
    assert exchanged["exchangeHandoffCode"] == {
        "__typename": "HandoffData",
        "fields": ["PHONE"],
        "phone": "+8613700009999",
        "name": None,
    }
