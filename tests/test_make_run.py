"""`make run` end to end: a real process on embedded defaults, its mock WeChat server, and the
login journey over real HTTP, as a newcomer would try it, then a service's guide screen."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import guide_journey, login_journey, search_journey


async def test_make_run_serves_the_login_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        ready = await api_client.get("/readyz")
        program = MiniProgram(api_client, phone, "newcomer")
        steps = await login_journey(program)
        search = await search_journey(program)
        guide = await guide_journey(program)
        staff = await api_client.post(
            "/graphql",
            json={
                "query": 'mutation { loginStaff(input: {username: "demo-admin", password: "rongban-demo"}) '
                "{ __typename } }"
            },
        )

    assert ready.json() == {"status": "ready", "down": []}
    assert steps[0] == "loginWithWeChat -> Session"
    assert steps[1] == "bindWeChatPhone -> Account 138****8000"
    assert steps[2] == "startIdentityVerification -> IdentityVerification WECHAT_FACE"
    assert steps[3] == "wx.requestFacialVerify -> HTTP 200"
    assert steps[4].startswith("verifyIdentity  -> Account 张*")
    assert steps[6].startswith("recommendedServices -> ")
    assert steps[6].count("; ") == 2  # a newcomer's screen is never empty
    assert staff.json()["data"]["loginStaff"]["__typename"] == "Session"
    # Journey 2: the same services found by characters and by initials, the first one's
    # guide, and the centres that handle it, nearest first.
    assert search[0].startswith("services(身份证)  -> ")
    assert "居民身份证" in search[0]
    assert search[1].split("-> ")[1] == search[0].split("-> ")[1]
    assert search[2].startswith("service         -> 居民身份证")
    assert search[3].startswith("serviceCentres  -> ")
    assert " km, " in search[3]
    # The guide screen: a structured fee, the department's phone, centres with a place on
    # the map, materials (forms and samples where staff attached them), FAQs, a sample result.
    assert guide[0].startswith("service         -> 公共场所卫生许可, ")
    assert "咨询 028-" in guide[0]
    assert guide[1].startswith("handlingCentres -> 1: 锦江区政务服务中心 ")
    assert guide[2].startswith("materials       -> ")
    assert guide[3].startswith("faqs            -> ")
    assert "result: 【演示样本】" in guide[3]
