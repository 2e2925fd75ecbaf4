"""API.md journey 5 through `make run` (embedded mode), over real HTTP: scenarioPlan for
开办餐饮店, then submitScenario."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import login_journey, scenario_journey
from tests.identity import id_number, phone_number


async def test_make_run_serves_the_scenario_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        program = MiniProgram(api_client, phone, "restaurateur")
        await login_journey(
            program, phone=phone_number(), id_number=id_number("110105", "19491231")
        )
        steps = await scenario_journey(program)
        second = await scenario_journey(program)  # a second shop: the ID card is in the wallet
        recommended = await program.recommended_services()
        mine = await program.my_applications()

    assert steps[0] == "themes          -> 6 themes, 2 bundles"
    assert steps[1] == "scenario        -> 开办餐饮店, 4 questions"
    assert steps[2] == "scenarioPlan    -> 3 items, 8 materials, 5 working days (one by one: 10)"
    assert steps[3] == "uploads         -> 7 documents, 0 from the wallet"
    assert steps[4] == "submitScenario  -> Application SUBMITTED, 3 items"
    assert [line.split()[1] for line in steps[5:]] == ["SUBMITTED"] * 3
    assert second[3] == "uploads         -> 7 documents, 1 from the wallet"
    assert second[4] == steps[4]
    assert len(mine["edges"]) == 8  # two bundles, each with its three items
    # An identity issued in Beijing (like the demo one): a residence permit is suggested.
    assert "REGION" in {r["reasonCode"] for r in recommended}
