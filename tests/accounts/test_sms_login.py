"""requestSmsCode and loginWithSms: codes, limits, floods and the relay being down."""

from __future__ import annotations

import httpx
import pytest

from mock_wechat.server import MockState
from storage.cache import Keys
from storage.models.accounts import Account
from tests.conftest import RunningApp, start_app
from tests.graphql import GraphQLClient

REQUEST = """
mutation($phone: String!) {
  requestSmsCode(input: {phone: $phone}) {
    __typename
    ... on SmsCodeSent { expiresAt resendAfterSeconds }
    ... on RequestSmsCodeError { code message field retryAfterSeconds }
  }
}
"""
LOGIN = """
mutation($phone: String!, $code: String!) {
  loginWithSms(input: {phone: $phone, code: $code}) {
    __typename
    ... on Session { token account { id phoneMasked roles } }
    ... on LoginWithSmsError { code message field }
  }
}
"""
PHONE = "13912345678"


async def request_code(gql: GraphQLClient, phone: str = PHONE) -> dict:
    return (await gql.data(REQUEST, {"phone": phone}))["requestSmsCode"]


def last_code(mock_state: MockState, phone: str = PHONE) -> str:
    return str([m for m in mock_state.sms if m["phone"].endswith(phone)][-1]["params"]["code"])


async def test_a_code_by_sms_signs_in_and_creates_the_account(
    gql: GraphQLClient, mock_state: MockState
) -> None:
    sent = await request_code(gql, "+86 139-1234-5678")
    assert sent["__typename"] == "SmsCodeSent"
    assert sent["resendAfterSeconds"] == 60

    result = (await gql.data(LOGIN, {"phone": PHONE, "code": last_code(mock_state)}))[
        "loginWithSms"
    ]

    assert result["__typename"] == "Session"
    assert result["account"]["phoneMasked"] == "139****5678"
    assert result["account"]["roles"] == ["RESIDENT"]
    assert mock_state.sms[-1]["phone"] == "+8613912345678"
    assert mock_state.sms[-1]["template"] == "LOGIN_CODE"


async def test_a_code_is_used_once(gql: GraphQLClient, mock_state: MockState) -> None:
    await request_code(gql)
    code = last_code(mock_state)
    assert (await gql.data(LOGIN, {"phone": PHONE, "code": code}))["loginWithSms"][
        "__typename"
    ] == "Session"

    again = (await gql.data(LOGIN, {"phone": PHONE, "code": code}))["loginWithSms"]

    assert again["code"] == "SMS_CODE_EXPIRED"


async def test_the_same_phone_signs_into_the_same_account(
    running: RunningApp, mock_state: MockState
) -> None:
    ids = []
    for _ in range(2):
        await request_code(running.gql)
        result = await running.gql.data(LOGIN, {"phone": PHONE, "code": last_code(mock_state)})
        ids.append(result["loginWithSms"]["account"]["id"])
        await running.resources.redis.delete(Keys.rate("sms-interval", _index(running)))

    assert ids[0] == ids[1]
    assert await Account.all().count() == 1


def _index(running: RunningApp) -> str:
    return running.resources.keyring.blind_index("+86" + PHONE, purpose="phone")


async def test_five_wrong_codes_burn_the_code_even_inside_one_aliased_request(
    gql: GraphQLClient, mock_state: MockState
) -> None:
    await request_code(gql)
    right = last_code(mock_state)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    aliases = "\n".join(
        f'a{i}: loginWithSms(input: {{phone: "{PHONE}", code: "{wrong}"}}) '
        "{ __typename ... on LoginWithSmsError { code } }"
        for i in range(6)
    )

    answers = await gql.data(f"mutation {{ {aliases} }}")

    codes = [answers[f"a{i}"]["code"] for i in range(6)]
    assert codes == ["INVALID_SMS_CODE"] * 4 + ["TOO_MANY_ATTEMPTS", "SMS_CODE_EXPIRED"]
    late = (await gql.data(LOGIN, {"phone": PHONE, "code": right}))["loginWithSms"]
    assert late["code"] == "SMS_CODE_EXPIRED"  # the right code no longer works either
    assert await Account.all().count() == 0


async def test_an_expired_code_is_refused(running: RunningApp, mock_state: MockState) -> None:
    await request_code(running.gql)
    await running.resources.redis.delete(Keys.sms_code(_index(running)))  # what the TTL does

    result = await running.gql.data(LOGIN, {"phone": PHONE, "code": last_code(mock_state)})

    assert result["loginWithSms"]["code"] == "SMS_CODE_EXPIRED"


async def test_one_code_a_minute_per_phone(gql: GraphQLClient, mock_state: MockState) -> None:
    await request_code(gql)

    again = await request_code(gql)

    assert again["code"] == "RATE_LIMITED"
    assert 0 < again["retryAfterSeconds"] <= 60
    assert len(mock_state.sms) == 1


async def test_ten_codes_a_day_per_phone(running: RunningApp, mock_state: MockState) -> None:
    for _ in range(10):
        assert (await request_code(running.gql))["__typename"] == "SmsCodeSent"
        await running.resources.redis.delete(Keys.rate("sms-interval", _index(running)))

    eleventh = await request_code(running.gql)

    assert eleventh["code"] == "RATE_LIMITED"
    assert eleventh["retryAfterSeconds"] > 3600
    assert len(mock_state.sms) == 10


async def test_one_client_cannot_flood_many_phones(settings_factory, mock_state: MockState) -> None:
    async for running in start_app(settings_factory(sms_per_client_hourly=3)):
        phones = [f"1390000000{i}" for i in range(4)]
        results = [await request_code(running.gql, phone) for phone in phones]
        assert [r["__typename"] for r in results] == ["SmsCodeSent"] * 3 + ["RequestSmsCodeError"]
        assert results[-1]["code"] == "RATE_LIMITED"
        assert len(mock_state.sms) == 3


@pytest.mark.parametrize(
    "phone", ["12345", "10012345678", "1391234567a", "+1 415 555 0100", "1" * 40, ""]
)
async def test_invalid_phones_are_refused_before_anything_is_sent(
    gql: GraphQLClient, mock_state: MockState, phone: str
) -> None:
    result = await request_code(gql, phone)

    assert result["code"] == "INVALID_PHONE"
    assert result["field"] == "phone"
    assert mock_state.sms == []


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "１２３４５６"])
async def test_malformed_codes_are_refused(
    gql: GraphQLClient, mock_state: MockState, code: str
) -> None:
    result = (await gql.data(LOGIN, {"phone": PHONE, "code": code}))["loginWithSms"]

    assert result["code"] == "INVALID_SMS_CODE"


async def test_relay_down_sends_nothing_and_lets_the_resident_retry(
    gql: GraphQLClient, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    await wechat.post(
        "/__mock__/fail", json={"path": "/__mock__/sms/send", "status": 503, "times": 1}
    )

    failed = await request_code(gql)
    retried = await request_code(gql)

    assert failed["code"] == "SMS_UNAVAILABLE"
    assert retried["__typename"] == "SmsCodeSent"
    assert len(mock_state.sms) == 1


async def test_the_answer_does_not_reveal_whether_an_account_exists(
    running: RunningApp, mock_state: MockState
) -> None:
    await request_code(running.gql)
    await running.gql.data(LOGIN, {"phone": PHONE, "code": last_code(mock_state)})
    await running.resources.redis.delete(Keys.rate("sms-interval", _index(running)))

    known = await request_code(running.gql)
    unknown = await request_code(running.gql, "13700000000")

    assert known.keys() == unknown.keys()
    assert known["__typename"] == unknown["__typename"] == "SmsCodeSent"
