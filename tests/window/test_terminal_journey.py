"""`python -m mock_wechat.journey --journey terminal`'s steps, against the app with the demo
data, as the scripted client plays them."""

from __future__ import annotations

import httpx
import pytest

from mock_wechat.client import MiniProgram
from mock_wechat.journey import login_journey
from mock_wechat.journey_terminal import JourneyFailed, terminal_journey
from tests.conftest import RunningApp
from tests.identity import id_number


async def test_the_terminal_journey(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = MiniProgram(seeded.client, wechat, "terminal-journey", uploads=seeded.client)
    await login_journey(program, phone="13800009999", id_number=id_number(), name="张三")
    steps = await terminal_journey(program, password="demo-password-for-tests")
    assert [s.split()[0] for s in steps] == [
        "loginStaff",
        "registerTerminal",
        "registerDevice",
        "loginTerminal",
        "signInAtTerminal",
        "myApplications",
        "walked",
    ]


async def test_the_journey_fails_loudly(seeded: RunningApp, wechat: httpx.AsyncClient) -> None:
    program = MiniProgram(seeded.client, wechat, "terminal-journey-2", uploads=seeded.client)
    await login_journey(program, phone="13800009998", id_number=id_number(), name="张三")
    with pytest.raises(JourneyFailed, match="loginStaff"):
        await terminal_journey(program, password="not-the-password")
