"""API.md journey 4 through `make run` (embedded mode, in-process outbox), over real HTTP."""

from __future__ import annotations

import httpx

from mock_wechat.client import MiniProgram
from mock_wechat.journey import application_journey, login_journey, province_journey
from tests.identity import id_number, phone_number

# The demo catalogue's 公共场所卫生许可 in 锦江区: 锦江区市场监督管理局 leads; the demo seed
# adds the first other department of 锦江区 as the cooperating one.
LEAD = "officer-11510104452424621j"


async def test_make_run_serves_the_application_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as phone,
    ):
        program = MiniProgram(api_client, phone, "applicant")
        await login_journey(program, phone=phone_number(), id_number=id_number())
        partner = await _partner(api_client)
        steps = await application_journey(program, [LEAD, partner])
        mine = await program.my_applications()
        # Every step reached the provincial sandbox that `make run` starts.
        province = await province_journey(api_client, mine["edges"][0]["node"]["id"])

    assert steps[0] == "submitApplication  -> Application SUBMITTED"
    assert steps[1] == "grantSubscriptions -> SubscriptionGrants"
    assert steps[2] == "acceptApplication  -> ACCEPTED, 2 tasks"
    assert steps[3] == "issueResult        -> COMPLETED"
    # One message per accepted template: the status and the result templates were granted.
    assert int(steps[4].split()[3]) >= 1
    assert steps[5] == "rateApplication    -> Application VERY_SATISFIED"
    # The detail's timeline tells the window from the two departments and the resident.
    assert steps[6].startswith("application        -> provisional=")
    assert "RESIDENT" in steps[6]
    assert steps[6].count("DEPARTMENT@") >= 2
    assert mine["edges"][0]["node"]["status"] == "COMPLETED"
    assert province == [
        "exchangeMessages   -> 7 DELIVERED: SUBMIT ACCEPT HANDLE HANDLE DECIDE FINISH RATE",
        "province receipts  -> 7",
    ]


async def _partner(api: httpx.AsyncClient) -> str:
    response = await api.post(
        "/graphql",
        json={
            "query": '{ service(code: "51000100020000", regionCode: "510104") { code } '
            'departments(regionCode: "510104") { code } }'
        },
    )
    data = response.json()["data"]
    codes = sorted(
        d["code"] for d in data["departments"] if d["code"] != LEAD.removeprefix("officer-").upper()
    )
    return f"officer-{codes[0].lower()}"
