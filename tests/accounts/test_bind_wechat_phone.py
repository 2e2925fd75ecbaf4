"""bindWeChatPhone: the phone number WeChat vouches for, shown masked, stored sealed."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from storage.models.accounts import Account
from tests.conftest import RunningApp

BIND = """
mutation($code: String!) {
  bindWeChatPhone(input: {code: $code}) {
    __typename
    ... on Account { phoneMasked }
    ... on BindWeChatPhoneError { code message field }
  }
}
"""


async def test_binding_stores_the_phone_sealed_and_shows_it_masked(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = MiniProgram(running.client, wechat, "a")
    await program.login()

    bound = await program.bind_phone("13800138000")

    assert bound["phoneMasked"] == "138****8000"
    account = await Account.get()
    assert account.phone_sealed
    assert "13800138000" not in account.phone_sealed
    assert account.phone_index == running.resources.keyring.blind_index(
        "+8613800138000", purpose="phone"
    )


async def test_signed_out_callers_cannot_bind(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    code = (
        await wechat.post("/__mock__/phone-code", json={"user": "a", "phone": "13800138000"})
    ).json()
    result = (await running.gql.data(BIND, {"code": code["code"]}))["bindWeChatPhone"]

    assert result["code"] == "UNAUTHENTICATED"


async def test_a_phone_code_works_once(running: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = MiniProgram(running.client, wechat, "a")
    await program.login()
    code = await program.wx_phone_code("13800138000")
    await program.call("BindWeChatPhone", {"code": code})

    again = (await program.call("BindWeChatPhone", {"code": code}))["bindWeChatPhone"]

    assert again["code"] == "INVALID_WECHAT_CODE"


async def test_another_users_phone_code_is_refused(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program = MiniProgram(running.client, wechat, "a")
    await program.login()
    someone_elses = MiniProgram(running.client, wechat, "b")
    code = await someone_elses.wx_phone_code("13700000000")

    result = (await program.call("BindWeChatPhone", {"code": code}))["bindWeChatPhone"]

    assert result["code"] == "INVALID_WECHAT_CODE"
    assert (await Account.get()).phone_index is None


async def test_a_phone_bound_to_another_account_is_refused(
    running: RunningApp, wechat: httpx.AsyncClient
) -> None:
    first = MiniProgram(running.client, wechat, "a")
    await first.login()
    await first.bind_phone("13800138000")
    second = MiniProgram(running.client, wechat, "b")
    await second.login()

    result = await second.bind_phone("13800138000")

    assert result["code"] == "PHONE_IN_USE"
    assert await Account.filter(phone_index__isnull=False).count() == 1


async def test_sms_accounts_have_no_wechat_phone(running: RunningApp, mock_state) -> None:
    await running.gql.data(
        'mutation { requestSmsCode(input: {phone: "13600000000"}) { __typename } }'
    )
    code = mock_state.sms[-1]["params"]["code"]
    session = await running.gql.data(
        'mutation($c: String!) { loginWithSms(input: {phone: "13600000000", code: $c}) '
        "{ ... on Session { token } } }",
        {"c": code},
    )

    result = await running.gql.data(
        BIND, {"code": "x" * 32}, token=session["loginWithSms"]["token"]
    )

    assert result["bindWeChatPhone"]["code"] == "NOT_A_WECHAT_ACCOUNT"
