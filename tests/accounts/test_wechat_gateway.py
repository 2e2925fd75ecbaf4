"""The wechatpy gateway against the mock server: shared token, refresh, typed errors."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from integrations.wechat import ContentSuggestion, WeChatError, WeChatpyGateway
from mock_wechat.server import MockState
from storage.cache import Keys, create_redis
from tests.conftest import APP_ID, APP_SECRET, ServerThread


@pytest.fixture
async def redis(redis_url: str):
    client = create_redis(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


def gateway(server: ServerThread, redis) -> WeChatpyGateway:
    return WeChatpyGateway(
        app_id=APP_ID, app_secret=APP_SECRET, api_base=server.url, timeout=2.0, redis=redis
    )


async def wx_login(wechat: httpx.AsyncClient, user: str) -> str:
    return str((await wechat.post("/__mock__/login", json={"user": user})).json()["code"])


@pytest.mark.parametrize(("how", "errcode"), [("revoke", 40001), ("expire", 42001)])
async def test_a_rejected_token_is_refreshed_once_and_the_call_retried(
    mock_wechat_server: ServerThread,
    mock_state: MockState,
    wechat: httpx.AsyncClient,
    redis,
    how: str,
    errcode: int,
) -> None:
    wx = gateway(mock_wechat_server, redis)
    await wx.code_to_session(await wx_login(wechat, "a"))
    old_token = await redis.get(Keys.wechat_token(APP_ID))
    await wechat.post("/__mock__/expire-tokens", json={"how": how})

    # jscode2session ignores the token; msg_sec_check checks it and answers errcode.
    await wechat.post("/__mock__/login", json={"user": "a"})
    verdict = await wx.check_text("你好", openid=mock_state.openid("a"), scene=2)

    assert verdict.suggestion is ContentSuggestion.PASS
    assert mock_state.calls["/wxa/msg_sec_check"] == 2  # refused once with errcode, then retried
    assert mock_state.calls["/cgi-bin/stable_token"] == 2
    assert await redis.get(Keys.wechat_token(APP_ID)) not in (None, old_token)
    await wx.close()


async def test_eight_workers_share_one_token_and_refresh_it_once(
    mock_wechat_server: ServerThread, mock_state: MockState, wechat: httpx.AsyncClient, redis
) -> None:
    # Eight gateways on one Redis stand for eight worker processes.
    workers = [gateway(mock_wechat_server, redis) for _ in range(8)]
    codes = [await wx_login(wechat, f"user-{i}") for i in range(8)]
    await asyncio.gather(*(w.code_to_session(c) for w, c in zip(workers, codes, strict=True)))
    assert mock_state.calls["/cgi-bin/stable_token"] == 1

    await wechat.post("/__mock__/expire-tokens", json={"how": "revoke"})
    verdicts = await asyncio.gather(
        *(
            w.check_text("你好", openid=mock_state.openid(f"user-{i}"), scene=2)
            for i, w in enumerate(workers)
        )
    )

    assert {v.suggestion for v in verdicts} == {ContentSuggestion.PASS}
    assert mock_state.calls["/cgi-bin/stable_token"] == 2  # one refresh for all eight
    assert "/cgi-bin/token" not in mock_state.calls  # never the token that evicts others
    for worker in workers:
        await worker.close()


async def test_errors_carry_the_wechat_errcode(
    mock_wechat_server: ServerThread, mock_state: MockState, redis
) -> None:
    wx = gateway(mock_wechat_server, redis)
    with pytest.raises(WeChatError) as raised:
        await wx.code_to_session("not-a-code")
    assert raised.value.errcode == 40029
    await wx.close()


async def test_subscribe_messages_need_a_grant_each(
    mock_wechat_server: ServerThread, mock_state: MockState, wechat: httpx.AsyncClient, redis
) -> None:
    wx = gateway(mock_wechat_server, redis)
    login = await wx.code_to_session(await wx_login(wechat, "b"))
    data = {
        "character_string1": "CD2026000001",
        "thing2": "居民身份证换领",
        "phrase3": "已受理",
        "time4": "2026-11-27 10:00",
    }

    with pytest.raises(WeChatError) as refused:
        await wx.send_subscribe_message(login.openid, "TPL_APPLICATION_STATUS", data)
    assert refused.value.errcode == 43101

    await wechat.post(
        "/__mock__/subscribe", json={"user": "b", "templateIds": ["TPL_APPLICATION_STATUS"]}
    )
    await wx.send_subscribe_message(login.openid, "TPL_APPLICATION_STATUS", data, page="pages/a")
    with pytest.raises(WeChatError) as used_up:
        await wx.send_subscribe_message(login.openid, "TPL_APPLICATION_STATUS", data)
    assert used_up.value.errcode == 43101

    delivered = (await wechat.get("/__mock__/messages", params={"user": "b"})).json()
    assert [m["data"]["phrase3"] for m in delivered] == ["已受理"]
    await wx.close()


async def test_subscribe_message_fields_follow_wechats_rules(
    mock_wechat_server: ServerThread, mock_state: MockState, wechat: httpx.AsyncClient, redis
) -> None:
    wx = gateway(mock_wechat_server, redis)
    login = await wx.code_to_session(await wx_login(wechat, "c"))
    await wechat.post(
        "/__mock__/subscribe", json={"user": "c", "templateIds": ["TPL_APPLICATION_STATUS"]}
    )
    too_long = {
        "character_string1": "CD1",
        "thing2": "这是一个超过二十个字符的事项名称用来测试字段长度限制",
        "phrase3": "已受理",
        "time4": "2026-11-27 10:00",
    }

    with pytest.raises(WeChatError) as raised:
        await wx.send_subscribe_message(login.openid, "TPL_APPLICATION_STATUS", too_long)

    assert raised.value.errcode == 47003
    await wx.close()


@pytest.mark.parametrize(
    ("content", "suggestion"),
    [
        ("楼下噪音扰民", ContentSuggestion.PASS),
        ("疑似违规内容", ContentSuggestion.REVIEW),
        ("出售枪支", ContentSuggestion.RISKY),
    ],
)
async def test_text_check_speaks_msg_sec_check_v2(
    mock_wechat_server: ServerThread,
    mock_state: MockState,
    wechat: httpx.AsyncClient,
    redis,
    content: str,
    suggestion: ContentSuggestion,
) -> None:
    wx = gateway(mock_wechat_server, redis)
    login = await wx.code_to_session(await wx_login(wechat, "d"))

    verdict = await wx.check_text(content, openid=login.openid, scene=2)

    assert verdict.suggestion is suggestion
    assert verdict.trace_id
    await wx.close()
