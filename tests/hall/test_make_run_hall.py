"""The hall journey through `make run` (embedded mode, the mock WeChat server playing the
card reader, the SMS relay and the courier, the in-process outbox), over real HTTP: booked
days ahead, the development clock carries the resident to the slot, and everything after it
(window, departments, post) runs on that clock."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta

import httpx
import pytest

from mock_wechat.client import MiniProgram
from mock_wechat.journey import login_journey
from mock_wechat.journey_hall import CHINA, hall_journey
from mock_wechat.journey_payment import JourneyFailed
from tests.conftest import ROOT, RunningApp
from tests.hall.conftest import resident
from tests.identity import id_number, phone_number


async def test_make_run_serves_the_hall_journey(dev_server: tuple[str, str]) -> None:
    api, mock = dev_server
    phone = phone_number()
    async with (
        httpx.AsyncClient(base_url=api, timeout=30) as api_client,
        httpx.AsyncClient(base_url=mock) as wechat,
    ):
        before = datetime.fromisoformat((await api_client.get("/__dev__/clock")).json()["now"])
        program = MiniProgram(api_client, wechat, "hall-visitor")
        await login_journey(program, phone=phone, id_number=id_number())
        steps = await hall_journey(program, phone=phone, password="rongban-demo")
        after = (await api_client.get("/__dev__/clock")).json()

    booked = steps[0].split()
    assert booked[:3] == ["bookAppointment", "->", "BOOKED"], steps[0]
    slot = datetime.fromisoformat(f"{booked[3]}T{booked[4]}:00+08:00")
    # One to five working days ahead (a later day in Chengdu, however late it is there now:
    # tomorrow's 09:00 is less than 12 hours away after 21:00), inside the hall's hours.
    assert before.astimezone(CHINA).date() < slot.astimezone(CHINA).date(), (slot, before)
    assert slot - before < timedelta(days=10), (slot, before)
    assert 9 <= slot.astimezone(CHINA).hour < 17
    assert steps[1] == "dev clock          -> 5 minutes before the slot"
    # The clock stands just before the slot now (and went only forward).
    now = datetime.fromisoformat(after["now"])
    assert slot - timedelta(minutes=5) <= now < slot, (now, slot)
    assert after["offsetSeconds"] > 0
    assert steps[2].startswith("checkIn            -> A")
    assert steps[2].endswith(" WAITING")
    ticket = steps[2].split()[2]
    assert steps[3].startswith(f"callNextTicket     -> {ticket} CALLED to window ")
    assert steps[4].startswith("submitApplicationOnBehalf -> PENDING, code sent to 1")
    assert steps[4].endswith(phone[-4:])
    assert steps[5].startswith("confirmApplicationOnBehalf -> SUBMITTED SERVICE_HALL ")
    assert steps[6].startswith("handled            -> ")
    assert steps[6].endswith(", COMPLETED")
    assert steps[7].startswith("chooseDelivery     -> POST CREATED EMS")
    tracking = steps[7].split()[-1]
    assert steps[8] == f"delivery           -> DELIVERED {tracking}"
    assert len(steps) == 9


def test_the_hall_journey_command_runs_beside_make_run(dev_server: tuple[str, str]) -> None:
    """`python -m mock_wechat.journey --journey hall`, as the README tells a newcomer: one line
    per step, exit status 0 (a failed step exits non-zero, see the in-process test)."""
    api, mock = dev_server
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mock_wechat.journey",
            "--journey",
            "hall",
            "--user",
            "hall-command",
            "--api",
            api,
            "--wechat",
            mock,
        ],
        cwd=ROOT / "miniprogram-mock",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("bookAppointment    -> BOOKED ") for line in lines), lines
    assert lines[-1].startswith("delivery           -> DELIVERED EMS"), lines


async def test_the_journey_stops_at_the_clock_where_there_is_none(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    """A server without the development clock (production, or `rongban serve`): the journey
    fails at that step, before booking anything, and says what to start instead (the command
    turns JourneyFailed into a non-zero exit)."""
    program = await resident(seeded, wechat, "hall-no-clock")

    with pytest.raises(JourneyFailed, match="rongban dev") as failed:
        await hall_journey(program, phone="13800000000", password="demo-password-for-tests")

    assert str(failed.value).endswith(": 404")
    mine = await seeded.gql(
        "{ myAppointments(first: 5) { edges { node { id } } } }", token=program.token
    )
    assert mine.data["myAppointments"]["edges"] == []
