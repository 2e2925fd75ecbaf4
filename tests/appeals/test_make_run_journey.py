"""API.md journey 6 through `make run` (embedded mode, in-process outbox), over real HTTP:
fileAppeal with a photo -> dispatched, replied -> rateAppeal."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import appeal_journey, login_journey
from tests.identity import id_number, phone_number


async def test_make_run_serves_the_appeal_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        program = MiniProgram(api_client, phone, "appellant")
        await login_journey(program, phone=phone_number(), id_number=id_number())
        steps = await appeal_journey(program)
        mine = await program.my_appeals()

    assert steps[0].startswith("appealCategories   -> 14 groups, ")
    assert steps[1] == "fileAppeal         -> Appeal DISPATCHED 成都市城市管理委员会"
    assert steps[2] == "grantSubscriptions -> SubscriptionGrants"
    assert steps[3] == "signAppeal         -> SIGNED"
    assert steps[4] == "replyAppeal        -> REPLIED"
    assert steps[5].startswith("subscribe message  -> 1 (")
    assert "占道经营" in steps[5]
    assert steps[6] == "appeal             -> REPLIED, 1 reply"
    assert steps[7] == "rateAppeal         -> Appeal CLOSED SATISFIED"
    assert mine["edges"][0]["node"]["status"] == "CLOSED"
