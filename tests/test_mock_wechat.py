"""The mock WeChat server answers like api.weixin.qq.com: paths, shapes and error codes."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from mock_wechat.server import MockState
from tests.conftest import APP_ID, APP_SECRET


@pytest.fixture
async def token(wechat: httpx.AsyncClient) -> str:
    response = await wechat.post(
        "/cgi-bin/stable_token",
        content=f'{{"grant_type": "client_credential", "appid": "{APP_ID}", "secret": "{APP_SECRET}"}}',
    )
    return str(response.json()["access_token"])


def errcode(response: httpx.Response) -> int:
    assert response.status_code == 200  # WeChat answers errors with HTTP 200
    body = response.json()
    assert " rid: " in body["errmsg"]
    return int(body["errcode"])


async def test_stable_token_is_post_only_and_checks_credentials(
    wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    assert errcode(await wechat.get("/cgi-bin/stable_token")) == 43002
    bad_secret = await wechat.post(
        "/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": APP_ID, "secret": "wrong"},
    )
    assert errcode(bad_secret) == 40125
    assert errcode(await wechat.post("/cgi-bin/stable_token", content=b"not json")) == 47001
    assert errcode(await wechat.post("/cgi-bin/stable_token", content=b"")) == 44002


async def test_stable_token_is_stable_until_forced(wechat: httpx.AsyncClient, token: str) -> None:
    body = {"grant_type": "client_credential", "appid": APP_ID, "secret": APP_SECRET}
    again = (await wechat.post("/cgi-bin/stable_token", json=body)).json()
    forced = (
        await wechat.post("/cgi-bin/stable_token", json={**body, "force_refresh": True})
    ).json()
    too_soon = await wechat.post("/cgi-bin/stable_token", json={**body, "force_refresh": True})

    assert again["access_token"] == token
    assert forced["access_token"] != token
    assert errcode(too_soon) == 45011  # force refreshes are 30 s apart


async def test_business_apis_check_the_token(wechat: httpx.AsyncClient, token: str) -> None:
    path = "/wxa/msg_sec_check"
    assert errcode(await wechat.post(path, json={"content": "x"})) == 41001
    assert errcode(await wechat.post(path, params={"access_token": "forged"}, json={})) == 40001


async def test_v1_text_check_says_87014_for_risky_text(
    wechat: httpx.AsyncClient, token: str
) -> None:
    risky = await wechat.post(
        "/wxa/msg_sec_check", params={"access_token": token}, json={"content": "出售枪支"}
    )
    fine = await wechat.post(
        "/wxa/msg_sec_check", params={"access_token": token}, json={"content": "你好"}
    )

    assert errcode(risky) == 87014
    assert fine.json() == {"errcode": 0, "errmsg": "ok"}


async def test_v2_text_check_validates_scene_and_openid(
    wechat: httpx.AsyncClient, token: str, mock_state: MockState
) -> None:
    await wechat.post("/__mock__/login", json={"user": "u"})
    params = {"access_token": token}
    base = {"content": "你好", "version": 2, "openid": mock_state.openid("u")}

    assert (
        errcode(await wechat.post("/wxa/msg_sec_check", params=params, json={**base, "scene": 9}))
        == 40129
    )
    assert (
        errcode(
            await wechat.post(
                "/wxa/msg_sec_check", params=params, json={**base, "scene": 1, "openid": "ox"}
            )
        )
        == 40003
    )
    mock_state.last_seen["u"] -= 7201  # not seen in the mini-program for two hours
    assert (
        errcode(await wechat.post("/wxa/msg_sec_check", params=params, json={**base, "scene": 1}))
        == 61010
    )


async def test_subscribe_send_checks_user_and_template(
    wechat: httpx.AsyncClient, token: str, mock_state: MockState
) -> None:
    await wechat.post("/__mock__/login", json={"user": "u"})
    params = {"access_token": token}

    unknown_user = await wechat.post(
        "/cgi-bin/message/subscribe/send",
        params=params,
        json={"touser": "o-nobody", "template_id": "TPL_APPLICATION_STATUS", "data": {}},
    )
    unknown_template = await wechat.post(
        "/cgi-bin/message/subscribe/send",
        params=params,
        json={"touser": mock_state.openid("u"), "template_id": "NOPE", "data": {}},
    )

    assert errcode(unknown_user) == 40003
    assert errcode(unknown_template) == 40037


async def test_logins_are_limited_to_100_a_minute_per_user(
    wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    codes = [
        (await wechat.post("/__mock__/login", json={"user": "busy"})).json()["code"]
        for _ in range(101)
    ]
    params = {"appid": APP_ID, "secret": APP_SECRET, "grant_type": "authorization_code"}

    answers = [
        (await wechat.get("/sns/jscode2session", params={**params, "js_code": c})).json()
        for c in codes
    ]

    assert all("openid" in a for a in answers[:100])
    assert answers[100]["errcode"] == 45011


async def test_the_phone_side_grants_one_message_per_acceptance(
    wechat: httpx.AsyncClient, mock_state: MockState
) -> None:
    result = (
        await wechat.post(
            "/__mock__/subscribe",
            json={"user": "u", "templateIds": ["TPL_APPLICATION_STATUS", "NOPE"]},
        )
    ).json()

    assert result == {
        "errMsg": "requestSubscribeMessage:ok",
        "TPL_APPLICATION_STATUS": "accept",
        "NOPE": "filter",
    }
    assert mock_state.grants[("u", "TPL_APPLICATION_STATUS")] == 1


async def test_media_check_async_validates_like_v2_and_answers_a_trace_id(
    wechat: httpx.AsyncClient, token: str, mock_state: MockState
) -> None:
    await wechat.post("/__mock__/login", json={"user": "u"})
    path, params = "/wxa/media_check_async", {"access_token": token}
    base = {
        "media_url": "https://example.invalid/p.jpg",
        "media_type": 2,
        "version": 2,
        "scene": 2,
        "openid": mock_state.openid("u"),
    }

    accepted = (await wechat.post(path, params=params, json=base)).json()

    assert errcode(await wechat.post(path, json=base)) == 41001
    assert errcode(await wechat.post(path, params=params, json={**base, "media_type": 3})) == 40097
    assert errcode(await wechat.post(path, params=params, json={**base, "media_url": "x"})) == 40097
    assert errcode(await wechat.post(path, params=params, json={**base, "scene": 0})) == 40129
    assert errcode(await wechat.post(path, params=params, json={**base, "openid": "ox"})) == 40003
    assert set(accepted) == {"errcode", "errmsg", "trace_id"}
    assert (accepted["errcode"], accepted["errmsg"]) == (0, "ok")
    mock_state.last_seen["u"] -= 7201  # not seen in the mini-program for two hours
    assert errcode(await wechat.post(path, params=params, json=base)) == 61010


async def test_media_verdicts_are_pushed_signed_in_the_v2_shape(
    wechat: httpx.AsyncClient, token: str, mock_state: MockState
) -> None:
    await wechat.post("/__mock__/login", json={"user": "u"})
    params = {"access_token": token}
    body = {"media_type": 2, "version": 2, "scene": 2, "openid": mock_state.openid("u")}
    ids = [
        (
            await wechat.post(
                "/wxa/media_check_async", params=params, json={**body, "media_url": url}
            )
        ).json()["trace_id"]
        for url in ("https://a.invalid/ok.jpg", "https://a.invalid/bad.jpg")
    ]
    await wechat.post("/__mock__/media-verdict", json={"urlContains": "bad", "suggest": "risky"})

    pushes = (await wechat.post("/__mock__/media-push", json={})).json()["pushes"]
    none_left = (await wechat.post("/__mock__/media-push", json={})).json()["pushes"]

    assert [p["traceId"] for p in pushes] == ids
    verdicts = [(p["body"]["result"]["suggest"], p["body"]["result"]["label"]) for p in pushes]
    assert verdicts == [("pass", 100), ("risky", 20002)]
    event = pushes[0]["body"]
    assert (event["Event"], event["MsgType"], event["version"]) == ("wxa_media_check", "event", 2)
    assert (event["appid"], event["trace_id"], event["errcode"]) == (APP_ID, ids[0], 0)
    query = pushes[0]["query"]
    signed = "".join(sorted([mock_state.push_token, query["timestamp"], query["nonce"]]))
    assert query["signature"] == hashlib.sha1(signed.encode()).hexdigest()
    assert none_left == []
