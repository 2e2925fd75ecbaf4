"""The mock WeChat server answers like api.weixin.qq.com: paths, shapes and error codes."""

from __future__ import annotations

import base64
import hashlib
from datetime import date

import httpx
import pytest

from mock_wechat.client import THROTTLED_WAITS, GraphQLFailure, MiniProgram
from mock_wechat.server import MockState
from resolvers.accounts.identity import person_name, resident_id
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


# -- 人脸核身: getverifyid, the phone's wx.requestFacialVerify, queryverifyinfo


async def open_face_session(
    wechat: httpx.AsyncClient, token: str, user: str, name: str, number: str, seq: str
) -> httpx.Response:
    openid = (await wechat.post("/__mock__/login", json={"user": user})).json()["openid"]
    return await wechat.post(
        "/cityservice/face/identify/getverifyid",
        params={"access_token": token},
        json={
            "out_seq_no": seq,
            "cert_info": {"cert_type": "IDENTITY_CARD", "cert_name": name, "cert_no": number},
            "openid": openid,
        },
    )


def face_hash(name: str, number: str) -> str:
    """WeChat's cert_hash, written out here once more from its documentation."""
    fields = [base64.b64encode(v.encode()).decode() for v in ("IDENTITY_CARD", name, number)]
    return hashlib.sha256(
        f"cert_type={fields[0]}&cert_name={fields[1]}&cert_no={fields[2]}".encode()
    ).hexdigest()


async def test_getverifyid_checks_its_input_like_wechat(
    wechat: httpx.AsyncClient, token: str
) -> None:
    person = (await wechat.get("/__mock__/person", params={"user": "u"})).json()
    name, number = person["name"], person["idNumber"]

    opened = await open_face_session(wechat, token, "u", name, number, "seq-00001")
    reused = await open_face_session(wechat, token, "u", name, number, "seq-00001")
    short = await open_face_session(wechat, token, "u", name, number, "s1")
    odd = await open_face_session(wechat, token, "u", name, number, "seq/00002")
    no_token = await wechat.post("/cityservice/face/identify/getverifyid", json={})

    assert opened.json()["errcode"] == 0
    assert opened.json()["expires_in"] == 3600
    assert 0 < len(opened.json()["verify_id"]) <= 256
    assert [errcode(r) for r in (reused, short, odd)] == [40097] * 3  # unique, 5-32 [0-9A-Za-z_-]
    assert errcode(no_token) == 41001


async def test_queryverifyinfo_answers_only_for_the_sessions_own_identity(
    wechat: httpx.AsyncClient, token: str, mock_state: MockState
) -> None:
    name, number = mock_state.person("u")
    opened = (await open_face_session(wechat, token, "u", name, number, "seq-00003")).json()
    query = {
        "verify_id": opened["verify_id"],
        "out_seq_no": "seq-00003",
        "cert_hash": face_hash(name, number),
        "openid": mock_state.openid("u"),
    }

    async def ask(**changes: str) -> httpx.Response:
        return await wechat.post(
            "/cityservice/face/identify/queryverifyinfo",
            params={"access_token": token},
            json={**query, **changes},
        )

    before = (await ask()).json()
    await wechat.post("/__mock__/face-verify", json={"user": "u", "verifyId": opened["verify_id"]})
    after = (await ask()).json()

    assert before["verify_ret"] == 10300  # 未完成核身
    assert after == {"errcode": 0, "errmsg": "ok", "verify_ret": 10000}
    assert errcode(await ask(cert_hash=face_hash("李四", number))) == 40097
    assert errcode(await ask(out_seq_no="seq-99999")) == 40097
    assert errcode(await ask(openid=mock_state.openid("someone"))) == 40097


@pytest.mark.parametrize(
    ("who", "claimed", "verify_ret"),
    [
        ("holder", "own", 10000),
        ("holder", "other-number", 10004),  # 比对人脸信息不匹配
        ("holder", "other-name", 10003),  # 身份证号不匹配
        ("another-user", "own", 10001),  # not getverifyid's openid
    ],
)
async def test_the_face_check_passes_only_for_the_users_own_identity(
    wechat: httpx.AsyncClient,
    token: str,
    mock_state: MockState,
    who: str,
    claimed: str,
    verify_ret: int,
) -> None:
    await wechat.post(
        "/__mock__/person",
        json={"user": "holder", "name": "赵六", "idNumber": "11010519491231002X"},
    )
    name, number = {
        "own": ("赵六", "11010519491231002X"),
        "other-number": ("赵六", "110105198503121234"),
        "other-name": ("钱七", "11010519491231002X"),
    }[claimed]
    opened = (await open_face_session(wechat, token, "holder", name, number, "seq-00004")).json()
    await wechat.post("/__mock__/login", json={"user": "another-user"})

    phone = await wechat.post(
        "/__mock__/face-verify", json={"user": who, "verifyId": opened["verify_id"]}
    )
    again = await wechat.post(
        "/__mock__/face-verify", json={"user": who, "verifyId": opened["verify_id"]}
    )

    assert phone.json() == {"errMsg": "requestFacialVerify:ok", "errCode": 0}
    assert again.status_code == 409  # one check per verify_id
    assert mock_state.face_sessions[opened["verify_id"]].verify_ret == verify_ret


async def test_each_user_is_a_valid_person_of_their_own(wechat: httpx.AsyncClient) -> None:
    people = [
        (await wechat.get("/__mock__/person", params={"user": u})).json()
        for u in ("demo-resident", "a", "b")
    ]

    assert people[0] == {"user": "demo-resident", "name": "张三", "idNumber": "11010519491231002X"}
    assert len({p["idNumber"] for p in people}) == 3
    for person in people:
        resident_id(person["idNumber"], today=date(2026, 1, 1))
        person_name(person["name"])


def _throttling(answers: list[httpx.Response], sent: list[httpx.Request]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return answers.pop(0)

    return httpx.AsyncClient(transport=httpx.MockTransport(answer), base_url="http://api")


def _throttled(retry_after: str | None) -> httpx.Response:
    headers = {"retry-after": retry_after} if retry_after is not None else {}
    body = {"errors": [{"message": "请稍后再试。", "extensions": {"code": "THROTTLED"}}]}
    return httpx.Response(429, json=body, headers=headers)


async def test_the_scripted_mini_program_waits_out_a_throttled_answer() -> None:
    """A 429 was refused before anything ran: the client sends it again, unchanged, after
    the wait Retry-After names, as the real mini-program does."""
    sent: list[httpx.Request] = []
    ok = httpx.Response(200, json={"data": {"me": None}})
    async with _throttling([_throttled("0"), _throttled("0"), ok], sent) as api:
        program = MiniProgram(api, api, "someone")
        assert await program.call("Me") == {"me": None}
    assert len(sent) == 3
    assert len({request.content for request in sent}) == 1


@pytest.mark.parametrize("retry_after", [None, "soon", "3600"])
async def test_a_throttled_answer_without_a_wait_worth_waiting_fails_at_once(
    retry_after: str | None,
) -> None:
    sent: list[httpx.Request] = []
    async with _throttling([_throttled(retry_after)], sent) as api:
        with pytest.raises(GraphQLFailure) as failure:
            await MiniProgram(api, api, "someone").call("Me")
    assert failure.value.status == 429
    assert len(sent) == 1


async def test_the_waits_for_a_throttled_answer_end() -> None:
    sent: list[httpx.Request] = []
    answers = [_throttled("0") for _ in range(THROTTLED_WAITS + 1)]
    async with _throttling(answers, sent) as api:
        with pytest.raises(GraphQLFailure):
            await MiniProgram(api, api, "someone").call("Me")
    assert len(sent) == THROTTLED_WAITS + 1
