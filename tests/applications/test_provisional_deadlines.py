"""Deadlines past the last published year: counted over the law's holidays and weekends,
marked provisional, and counted again when the official year is loaded or an ADMIN edits a
day. The clock is frozen on 5 December 2026; chinesecalendar publishes up to 2026."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from resolvers.calendar.statutory import is_workday, rest_days
from storage.models.applications import Application
from tests.applications.conftest import (
    ACCEPT,
    HYGIENE,
    china,
    frozen,
    implementation,
    officers,
    submit,
    verified_resident,
)
from tests.applications.test_calendar import SET
from tests.conftest import RunningApp
from tests.exchange.conftest import deliver, rongban
from tests.scenarios.conftest import staff_token

DETAIL = """query($id: ID!) {
  application(id: $id) { dueDate dueDateProvisional dueBeyondCalendar tasks { dueDate } }
}"""


async def _accepted(seeded: RunningApp, wechat: httpx.AsyncClient, promised: int) -> Any:
    frozen(seeded, china(2026, 12, 5))  # a Saturday
    item = await implementation(HYGIENE)
    item.promised_days = promised
    await item.save(update_fields=["promised_days"])
    program = await verified_resident(seeded, wechat, "resident")
    tokens = await officers(seeded, item)
    submitted = await submit(seeded, program)
    accepted = await seeded.gql.data(
        ACCEPT, {"input": {"applicationId": submitted["id"]}}, token=tokens["lead"]
    )
    return program, accepted["acceptApplication"]


async def _detail(seeded: RunningApp, program: Any, application_id: str) -> dict[str, Any]:
    data = await seeded.gql.data(DETAIL, {"id": application_id}, token=program.token)
    return dict(data["application"])


def _official_2027(
    path: Path, *, rest: frozenset[date] = frozenset(), work: frozenset[date] = frozenset()
) -> Path:
    """A published 2027 as a file: the law's days, with the 调休 the test names."""
    off = rest_days(2027)
    days, day = [], date(2027, 1, 1)
    while day.year == 2027:
        workday = (is_workday(day, off) or day in work) and day not in rest
        days.append({"date": day.isoformat(), "workday": workday, "note": off.get(day, "")})
        day += timedelta(days=1)
    path.write_text(json.dumps({"days": days}, ensure_ascii=False), encoding="utf-8")
    return path


async def test_a_deadline_into_next_year_is_provisional_not_missing(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, accepted = await _accepted(seeded, wechat, promised=30)

    # 19 working days left in December, then 元旦 (Friday 1 January) is a rest day by law:
    # 4–8, 11–15 and Monday 18 January make 30.
    assert accepted["dueDate"] == "2027-01-18", accepted
    detail = await _detail(seeded, program, accepted["id"])
    assert detail == {
        "dueDate": "2027-01-18",
        "dueDateProvisional": True,
        "dueBeyondCalendar": False,
        "tasks": [{"dueDate": "2027-01-18"}] * len(detail["tasks"]),
    }
    assert detail["tasks"]
    # The official calendar still ends where the State Council's does.
    known = await seeded.gql.data("{ calendarKnownUntil }")
    assert known["calendarKnownUntil"] == "2026-12-31"


async def test_loading_the_official_year_counts_it_again(
    seeded: RunningApp, wechat: httpx.AsyncClient, tmp_path: Path
) -> None:
    program, accepted = await _accepted(seeded, wechat, promised=30)
    # The published 2027 bridges 元旦 to the weekend: Monday 4 January off, Saturday 9 worked.
    official = _official_2027(
        tmp_path / "2027.json",
        rest=frozenset({date(2027, 1, 4)}),
        work=frozenset({date(2027, 1, 9)}),
    )

    loaded = rongban(seeded.settings, "calendar", "load", "--file", str(official))

    assert loaded.returncode == 0, loaded.stderr
    assert "loaded 2027: 365 days written" in loaded.stdout
    assert "1 due dates counted again" in loaded.stdout
    detail = await _detail(seeded, program, accepted["id"])
    # One day lost on the 4th, one won on the 9th: still the 18th, and no longer provisional.
    assert detail["dueDate"] == "2027-01-18"
    assert detail["dueDateProvisional"] is False
    known = await seeded.gql.data("{ calendarKnownUntil }")
    assert known["calendarKnownUntil"] == "2027-12-31"
    days = await seeded.gql.data(
        '{ calendar(start: "2027-01-04", end: "2027-01-04") { isWorkday source } }'
    )
    assert days["calendar"] == [{"isWorkday": False, "source": "OFFICIAL"}]


async def test_a_load_that_moves_the_date_moves_it(
    seeded: RunningApp, wechat: httpx.AsyncClient, tmp_path: Path
) -> None:
    program, accepted = await _accepted(seeded, wechat, promised=30)
    official = _official_2027(
        tmp_path / "2027.json", rest=frozenset({date(2027, 1, 4), date(2027, 1, 5)})
    )

    loaded = rongban(seeded.settings, "calendar", "load", "--file", str(official))

    assert loaded.returncode == 0, loaded.stderr
    detail = await _detail(seeded, program, accepted["id"])
    assert (detail["dueDate"], detail["dueDateProvisional"]) == ("2027-01-20", False)
    assert {task["dueDate"] for task in detail["tasks"]} == {"2027-01-20"}


async def test_an_admin_edit_moves_stored_deadlines(
    seeded: RunningApp, wechat: httpx.AsyncClient
) -> None:
    program, accepted = await _accepted(seeded, wechat, promised=30)
    admin = await staff_token(seeded, "demo-admin")

    edited = await seeded.gql.data(
        SET, {"input": {"day": "2026-12-14", "isWorkday": False, "note": "停电"}}, token=admin
    )
    await deliver(seeded)  # the worker counts the deadlines from that day on again

    assert edited["setCalendarDay"]["source"] == "ADMIN"
    detail = await _detail(seeded, program, accepted["id"])
    assert detail["dueDate"] == "2027-01-19"
    stored = await Application.get(number=accepted["number"])
    assert stored.due_date == date(2027, 1, 19)


async def test_only_whole_years_are_loaded(seeded: RunningApp, tmp_path: Path) -> None:
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"days": [{"date": "2027-01-04", "workday": False}]}))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")

    first = rongban(seeded.settings, "calendar", "load", "--file", str(partial))
    second = rongban(seeded.settings, "calendar", "load", "--file", str(broken))

    assert first.returncode == 1
    assert "2027 has 1 of its 365 days; load whole years" in first.stderr
    assert second.returncode == 1
    assert "cannot read" in second.stderr
    days = await seeded.gql.data(
        '{ calendar(start: "2027-01-04", end: "2027-01-04") { isWorkday source } }'
    )
    assert days["calendar"] == [{"isWorkday": True, "source": "PROVISIONAL"}]
