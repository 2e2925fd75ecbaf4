"""The development clock (`RONGBAN_TEST_CLOCK`, `/__dev__/clock`): absent unless switched on
and refused in production; when on, the business clock moves forward only, bad input is a
clear 400 that changes nothing, and timestamps signed outside (a card reader's read, the
courier's webhook) still meet real time after the clock moved days ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from resolvers.settings import Settings
from tests.api.test_settings import PRODUCTION_READY
from tests.conftest import RunningApp, start_app
from tests.delivery.test_choose_delivery import CHOOSE, RECIPIENT, _completed, _pointed_at_the_mock
from tests.window.conftest import card_read, resident, submit_on_behalf
from tests.window.test_card_reads import _desk

CLOCK = "/__dev__/clock"


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    built: Settings = settings_factory(test_clock=True)
    return built


async def _advance(running: RunningApp, value: Any) -> httpx.Response:
    return await running.client.post(CLOCK, json={"advanceTo": value})


async def test_without_the_setting_the_endpoint_is_not_there(settings_factory: Any) -> None:
    async for plain in start_app(settings_factory()):
        read = await plain.client.get(CLOCK)
        moved = await plain.client.post(
            CLOCK, json={"advanceTo": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
        )
        assert (read.status_code, moved.status_code) == (404, 404)
        assert abs(plain.resources.clock() - datetime.now(UTC)) < timedelta(seconds=5)


def test_production_refuses_the_development_clock() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(**{**PRODUCTION_READY, "test_clock": True})

    assert "development clock" in str(refused.value)
    assert "development clock" not in str(Settings(**PRODUCTION_READY).production_problems())


def test_the_clock_lives_in_one_process() -> None:
    with pytest.raises(ValidationError, match="one worker"):
        Settings(test_clock=True, workers=2, redis_url="redis://127.0.0.1:6379/0")


async def test_the_clock_moves_forward_only(running: RunningApp) -> None:
    shown = (await running.client.get(CLOCK)).json()
    assert shown["offsetSeconds"] == 0
    assert abs(datetime.fromisoformat(shown["now"]) - datetime.now(UTC)) < timedelta(seconds=5)

    target = datetime.now(UTC) + timedelta(days=2)
    moved = await _advance(running, target.astimezone().isoformat())

    assert moved.status_code == 200, moved.text
    assert target <= datetime.fromisoformat(moved.json()["now"]) < target + timedelta(seconds=5)
    assert target <= running.resources.clock() < target + timedelta(seconds=5)
    offset = moved.json()["offsetSeconds"]
    assert timedelta(days=2) - timedelta(seconds=5) < timedelta(seconds=offset)

    # Back to one day ahead (still in the real future): refused, the clock stays where it was.
    back = await _advance(running, (datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert back.status_code == 400
    assert (back.json()["code"], back.json()["field"]) == ("NOT_AHEAD", "advanceTo")
    assert "向前" in back.json()["message"]
    assert (await running.client.get(CLOCK)).json()["offsetSeconds"] == offset
    assert running.resources.clock() >= target

    # Forward again from there: the offsets add up.
    further = await _advance(running, (target + timedelta(hours=3)).isoformat())
    assert further.status_code == 200, further.text
    assert further.json()["offsetSeconds"] > offset + 3 * 3600 - 5


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"advanceTo": "next tuesday"}, "INVALID_DATETIME"),
        ({"advanceTo": "2031-02-30T09:00:00+08:00"}, "INVALID_DATETIME"),
        ({"advanceTo": "2031-03-03T09:00:00"}, "INVALID_DATETIME"),  # no time zone
        ({"advanceTo": 1900000000}, "INVALID_DATETIME"),
        ({}, "INVALID_DATETIME"),
        ({"advanceTo": "2020-01-06T09:00:00+08:00"}, "NOT_AHEAD"),  # in the past
        ({"advanceTo": "9999-12-31T23:59:59+00:00"}, "TOO_FAR"),  # later dates would overflow
        (["2031-03-03T09:00:00+08:00"], "BAD_REQUEST"),
    ],
)
async def test_bad_input_is_a_clear_400_and_changes_nothing(
    running: RunningApp, body: Any, code: str
) -> None:
    answer = await running.client.post(CLOCK, json=body)

    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == code
    assert answer.json()["field"] == "advanceTo"
    assert answer.json()["message"]
    assert (await running.client.get(CLOCK)).json()["offsetSeconds"] == 0


async def test_not_json_is_a_clear_400(running: RunningApp) -> None:
    answer = await running.client.post(
        CLOCK, content=b"advanceTo=tomorrow", headers={"content-type": "text/plain"}
    )

    assert (answer.status_code, answer.json()["code"]) == (400, "BAD_REQUEST")


async def test_a_card_read_is_trusted_two_days_ahead(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _, clerk, _, _ = await _desk(seeded, wechat, "reader-clock-1")
    person = await resident(seeded, wechat, "clock-reader")
    moved = await _advance(seeded, (datetime.now(UTC) + timedelta(days=2)).isoformat())
    assert moved.status_code == 200

    # The reader signs with real time: the read is fresh (and trusted: the guide's rules
    # come next), where the business clock alone would call it two days old.
    read = await card_read(wechat, "reader-clock-1", person=person.person)
    assert (await submit_on_behalf(seeded, clerk, read, scanIds=[]))["code"] == ("MATERIAL_MISSING")
    # Freshness is still checked, against real time.
    old = await card_read(wechat, "reader-clock-1", person=person.person, age=3600)
    assert (await submit_on_behalf(seeded, clerk, old))["code"] == "STALE_READ"


async def test_the_couriers_webhook_is_taken_two_days_ahead(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    _pointed_at_the_mock(seeded, str(wechat.base_url).rstrip("/"))
    owner, application_id = await _completed(seeded, wechat, "clock-poster")
    chosen = await seeded.gql(
        CHOOSE,
        {"input": {"applicationId": application_id, "method": "POST", "recipient": RECIPIENT}},
        token=owner.token,
    )
    number = chosen.data["chooseDelivery"]["delivery"]["trackingNumber"]
    moved = await _advance(seeded, (datetime.now(UTC) + timedelta(days=2)).isoformat())
    assert moved.status_code == 200

    advanced = await wechat.post("/__mock__/courier/advance", json={"trackingNumber": number})
    sent = advanced.json()["request"]
    answer = await seeded.client.post(
        "/courier/webhook", content=sent["body"].encode(), headers=sent["headers"]
    )

    assert answer.status_code == 200, answer.text
    seen = await seeded.gql(
        "query($id: ID!) { delivery(applicationId: $id) { status events { status at } } }",
        {"id": application_id},
        token=owner.token,
    )
    delivery = seen.data["delivery"]
    assert delivery["status"] == "PICKED_UP"
    # The event is dated on the business clock, like everything the platform records.
    at = datetime.fromisoformat(delivery["events"][-1]["at"])
    assert at > datetime.now(UTC) + timedelta(days=1), delivery
