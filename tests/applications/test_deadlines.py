"""Working-day deadlines with a frozen clock: the 2026 Spring Festival, an 调休 Sunday, the
clock stopped during 补正, deadlines past the known calendar, warnings and overdue flags.

The 2026 schedule comes from chinesecalendar 1.11.0 (State Council notice of 2025-11):
春节 15-23 February are rest days, Saturday 14 and Saturday 28 February are workdays;
Sunday 4 January is an 调休 workday after New Year (1-3 January)."""

from __future__ import annotations

from datetime import date

import httpx

from resolvers.applications.deadlines import scan
from resolvers.calendar.workdays import BeyondCalendar, add_working_days, working_days_between
from storage.models.applications import ApplicationEvent, EventType
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    REQUEST_SUPPLEMENT,
    SUPPLEMENT,
    china,
    frozen,
    implementation,
    officers,
    submit,
    upload,
    verified_resident,
)
from tests.conftest import RunningApp


async def test_working_day_arithmetic_knows_the_spring_festival_and_adjusted_days(
    seeded: RunningApp,
) -> None:
    # Thursday 12 Feb + 5: Fri 13, Sat 14 (调休), then nothing until Tue 24, Wed 25, Thu 26.
    assert await add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    # Friday 2 Jan (holiday) + 1: Sunday 4 Jan is an 调休 workday.
    assert await add_working_days(date(2026, 1, 2), 1) == date(2026, 1, 4)
    assert await working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    # The published years are followed by two provisional ones (2027, 2028); past them, the
    # calendar says it does not know.
    try:
        await add_working_days(date(2028, 12, 28), 10)
    except BeyondCalendar:
        pass
    else:
        raise AssertionError("2029 is not in the calendar")


async def _accepted(seeded: RunningApp, wechat: httpx.AsyncClient, promised: int) -> tuple:
    item = await implementation(HYGIENE)
    item.promised_days = promised
    await item.save(update_fields=["promised_days"])
    program = await verified_resident(seeded, wechat, "resident")
    tokens = await officers(seeded, item)
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    return program, tokens, accepted["acceptApplication"]


async def test_a_deadline_across_the_spring_festival(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 2, 12))

    _, _, application = await _accepted(seeded, wechat, promised=5)

    assert application["dueDate"] == "2026-02-26"
    assert {t["dueDate"] for t in application["tasks"]} == {"2026-02-26"}
    assert application["overdue"] is False


async def test_a_deadline_on_an_adjusted_sunday(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 1, 2))

    _, _, application = await _accepted(seeded, wechat, promised=1)

    assert application["dueDate"] == "2026-01-04"


async def test_the_clock_stops_during_supplement(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))  # Monday
    program, tokens, application = await _accepted(seeded, wechat, promised=5)
    assert application["dueDate"] == "2026-03-09"
    owed = [m["position"] for m in application["materials"] if m["state"] == "PROVIDED"][:1]

    asked = await seeded.gql.data(
        REQUEST_SUPPLEMENT,
        {"input": {"applicationId": application["id"], "materials": owed, "note": "身份证模糊"}},
        token=tokens["lead"],
    )
    frozen(seeded, china(2026, 3, 5))  # Thursday: Tue, Wed, Thu stood still
    stopped = await seeded.gql.data(
        "query($id: ID!) { application(id: $id) { overdue clockStopped dueDate } }",
        {"id": application["id"]},
        token=program.token,
    )
    supplied = await seeded.gql.data(
        SUPPLEMENT,
        {
            "input": {
                "applicationId": application["id"],
                "documentIds": [await upload(program, "ID_CARD_FRONT")],
            }
        },
        token=program.token,
    )

    assert asked["requestSupplement"]["status"] == "SUPPLEMENT_REQUESTED"
    assert stopped["application"]["clockStopped"] is True
    assert stopped["application"]["overdue"] is False
    result = supplied["supplementApplication"]
    assert result.get("status") == "ACCEPTED", result
    assert result["dueDate"] == "2026-03-12"  # three working days later
    assert {t["dueDate"] for t in result["tasks"]} == {"2026-03-12"}


async def test_a_deadline_past_the_known_calendar_is_flagged_not_guessed(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2028, 12, 28))  # past the provisional years too

    _, _, application = await _accepted(seeded, wechat, promised=10)

    assert application["dueDate"] is None
    assert application["dueBeyondCalendar"] is True


async def test_warnings_at_eighty_percent_and_overdue_flags_are_raised_once(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    frozen(seeded, china(2026, 3, 2))
    _program, tokens, _application = await _accepted(seeded, wechat, promised=5)  # due 9 March

    frozen(seeded, china(2026, 3, 6))  # 4 of 5 days used: 80%
    first = await scan(seeded.resources)
    again = await scan(seeded.resources)
    frozen(seeded, china(2026, 3, 10))
    late = await scan(seeded.resources)
    listed = await seeded.gql.data(
        "{ overdueApplications { edges { node { number overdue } } } }", token=tokens["lead"]
    )

    assert (first.warned, again.warned, late.overdue) == (1, 0, 1)
    types = [e.type for e in await ApplicationEvent.all().order_by("seq")]
    assert types.count(EventType.DEADLINE_WARNING) == 1
    assert types.count(EventType.OVERDUE) == 1
    assert [e["node"]["overdue"] for e in listed["overdueApplications"]["edges"]] == [True]
