"""loginWithWeChat against the mock WeChat server, through wechatpy's real HTTP calls."""

from __future__ import annotations

import httpx
import pytest

from mock_wechat.server import MockState
from storage.models.accounts import Account
from tests.conftest import RunningApp
from tests.graphql import GraphQLClient

LOGIN = """
mutation($code: String!) {
  loginWithWeChat(input: {code: $code}) {
    __typename
    ... on Session { token refreshToken expiresAt account { id roles } }
    ... on LoginWithWeChatError { code message field retryAfterSeconds }
  }
}
"""


async def wx_login(wechat: httpx.AsyncClient, user: str, **extra: object) -> str:
    response = await wechat.post("/__mock__/login", json={"user": user, **extra})
    return str(response.json()["code"])


async def login(gql: GraphQLClient, code: str) -> dict:
    return (await gql.data(LOGIN, {"code": code}))["loginWithWeChat"]


async def test_first_login_creates_a_resident_and_later_logins_find_it(
    gql: GraphQLClient, wechat: httpx.AsyncClient
) -> None:
    first = await login(gql, await wx_login(wechat, "li-si"))
    second = await login(gql, await wx_login(wechat, "li-si"))

    assert first["__typename"] == second["__typename"] == "Session"
    assert first["account"]["id"] == second["account"]["id"]
    assert first["account"]["roles"] == ["RESIDENT"]
    assert first["token"] != second["token"]
    assert await Account.all().count() == 1


async def test_unionid_is_kept_and_used_to_find_the_account(
    gql: GraphQLClient, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    result = await login(gql, await wx_login(wechat, "wang-wu", unionid=True))

    assert result["__typename"] == "Session"
    account = await Account.get(wechat_openid=mock_state.openid("wang-wu"))
    assert account.wechat_unionid == mock_state.unionid("wang-wu")


@pytest.mark.parametrize(
    ("errcode", "code", "field"),
    [
        (40029, "INVALID_WECHAT_CODE", "code"),
        (40163, "WECHAT_CODE_USED", "code"),
        (40226, "WECHAT_LOGIN_BLOCKED", "code"),
        (45011, "WECHAT_RATE_LIMITED", None),
        (-1, "WECHAT_UNAVAILABLE", None),
    ],
)
async def test_wechat_errors_become_typed_errors_and_change_nothing(
    gql: GraphQLClient, wechat: httpx.AsyncClient, errcode: int, code: str, field: str | None
) -> None:
    await wechat.post(
        "/__mock__/fail", json={"path": "/sns/jscode2session", "errcode": errcode, "times": 1}
    )

    result = await login(gql, await wx_login(wechat, "zhao-liu"))

    assert result["__typename"] == "LoginWithWeChatError"
    assert result["code"] == code
    assert result["field"] == field
    assert result["message"]  # zh-CN, for the resident
    assert await Account.all().count() == 0


async def test_a_code_works_once(gql: GraphQLClient, wechat: httpx.AsyncClient) -> None:
    code = await wx_login(wechat, "sun-qi")
    assert (await login(gql, code))["__typename"] == "Session"

    again = await login(gql, code)

    assert again["__typename"] == "LoginWithWeChatError"
    assert again["code"] == "WECHAT_CODE_USED"


async def test_an_expired_code_is_refused(gql: GraphQLClient, wechat: httpx.AsyncClient) -> None:
    code = await wx_login(wechat, "zhou-ba")
    await wechat.post("/__mock__/clock", json={"advance": 301})

    result = await login(gql, code)

    assert result["code"] == "INVALID_WECHAT_CODE"
    assert await Account.all().count() == 0


async def test_an_unknown_code_is_refused(gql: GraphQLClient, mock_state: MockState) -> None:
    result = await login(gql, "0" * 32)

    assert result["code"] == "INVALID_WECHAT_CODE"


@pytest.mark.parametrize("bad", ["", "   ", "x" * 129, "中文", "a\u0000b"])
async def test_malformed_codes_never_reach_wechat(
    gql: GraphQLClient, wechat: httpx.AsyncClient, mock_state: MockState, bad: str
) -> None:
    result = await login(gql, bad)

    assert result["code"] == "INVALID_WECHAT_CODE"
    assert mock_state.calls.get("/sns/jscode2session", 0) == 0


@pytest.mark.parametrize("failure", [{"status": 502}, {"delay": 3.0}])
async def test_wechat_down_or_slow_is_unavailable_not_an_error_page(
    gql: GraphQLClient, wechat: httpx.AsyncClient, failure: dict
) -> None:
    await wechat.post("/__mock__/fail", json={"path": "/sns/jscode2session", "times": 1, **failure})

    result = await login(gql, await wx_login(wechat, "wu-jiu"))

    assert result["code"] == "WECHAT_UNAVAILABLE"
    assert await Account.all().count() == 0


async def test_wechat_unreachable_is_unavailable(settings_factory, mock_state: MockState) -> None:
    from tests.conftest import start_app

    unreachable = settings_factory(wechat_api_base="http://127.0.0.1:9")
    async for running in start_app(unreachable):
        result = await login(running.gql, "a" * 32)
        assert result["code"] == "WECHAT_UNAVAILABLE"


async def test_logins_are_rate_limited_per_client(
    settings_factory, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    from tests.conftest import start_app

    async for running in start_app(settings_factory(wechat_logins_per_client_minute=2)):
        for user in ("a", "b"):
            assert (await login(running.gql, await wx_login(wechat, user)))[
                "__typename"
            ] == "Session"
        limited = await login(running.gql, await wx_login(wechat, "c"))
        assert limited["code"] == "RATE_LIMITED"
        assert 0 < limited["retryAfterSeconds"] <= 60


async def test_session_key_is_sealed_and_never_returned(
    running: RunningApp, wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    response = await running.gql(LOGIN, {"code": await wx_login(wechat, "qian-shi")})
    session_key = mock_state.session_keys["qian-shi"]

    assert session_key not in response.http.text
    account = await Account.get(wechat_openid=mock_state.openid("qian-shi"))
    assert account.wechat_session_key_sealed
    assert session_key not in account.wechat_session_key_sealed
    opened = running.resources.keyring.open(
        account.wechat_session_key_sealed, context="account.wechat_session_key"
    )
    assert opened == session_key
