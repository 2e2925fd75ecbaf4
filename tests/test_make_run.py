"""`make run` end to end: a real process on embedded defaults, its mock WeChat server, and the
login journey over real HTTP, as a newcomer would try it."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import login_journey


async def test_make_run_serves_the_login_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        ready = await api_client.get("/readyz")
        steps = await login_journey(MiniProgram(api_client, phone, "newcomer"))
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
