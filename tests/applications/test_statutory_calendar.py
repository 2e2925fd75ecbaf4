"""The provisional calendar follows the law: checked against the years the State Council has
published (chinesecalendar), where every day the law fixes must be a rest day."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from resolvers.calendar.statutory import holidays, is_workday, rest_days

PUBLISHED = sorted({day.year for day in chinese_calendar.constants.holidays} - {2004, 2005})


@pytest.mark.parametrize("year", [year for year in PUBLISHED if year >= 2025])
def test_every_day_the_law_fixes_is_off_in_the_published_schedule(year: int) -> None:
    for day, name in rest_days(year).items():
        assert not chinese_calendar.is_workday(day), (day, name)


@pytest.mark.parametrize("year", [year for year in PUBLISHED if year >= 2025])
def test_the_published_schedule_differs_only_by_swapped_weekends(year: int) -> None:
    """调休 moves weekend days into holidays; without it the law's count of rest weekdays
    equals the published count minus the swapped ones."""
    off = rest_days(year)
    day, end = date(year, 1, 1), date(year, 12, 31)
    published_off_weekdays = swapped_weekends = 0
    while day <= end:
        if day.weekday() < 5 and not chinese_calendar.is_workday(day):
            published_off_weekdays += 1
        if day.weekday() >= 5 and chinese_calendar.is_workday(day):
            swapped_weekends += 1
        day += timedelta(days=1)
    assert published_off_weekdays - swapped_weekends == len(off)


def test_the_revised_holidays_of_2027() -> None:
    """春节 from 除夕 (four days), 劳动节 two days, 国庆 three; lunar and solar-term dates."""
    named = [(rest.day, rest.name) for rest in holidays(2027)]
    assert named == [
        (date(2027, 1, 1), "元旦"),
        (date(2027, 2, 5), "春节"),  # 除夕
        (date(2027, 2, 6), "春节"),
        (date(2027, 2, 7), "春节"),
        (date(2027, 2, 8), "春节"),
        (date(2027, 4, 5), "清明节"),
        (date(2027, 5, 1), "劳动节"),
        (date(2027, 5, 2), "劳动节"),
        (date(2027, 6, 9), "端午节"),
        (date(2027, 9, 15), "中秋节"),
        (date(2027, 10, 1), "国庆节"),
        (date(2027, 10, 2), "国庆节"),
        (date(2027, 10, 3), "国庆节"),
    ]


def test_a_holiday_on_a_weekend_is_made_up_on_the_next_working_day() -> None:
    off = rest_days(2027)
    # 初二 and 初三 fall on Saturday and Sunday: made up on the Tuesday and Wednesday after
    # 初四 (Monday 8 February, itself 春节).
    assert off[date(2027, 2, 9)] == "春节（补假）"
    assert off[date(2027, 2, 10)] == "春节（补假）"
    assert is_workday(date(2027, 2, 11), off)
    assert not is_workday(date(2027, 2, 13), off)  # a Saturday
