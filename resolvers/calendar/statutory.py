"""The rest days the law fixes for a year whose schedule the State Council has not published.

全国年节及纪念日放假办法 (as revised in 2024, in force from 2025) gives every citizen: 元旦
(1 January), 春节 (除夕 and 正月初一 to 初三, four days), 清明节 (the day of the 清明 solar term),
劳动节 (1–2 May), 端午节 (五月初五), 中秋节 (八月十五) and 国庆节 (1–3 October); and a holiday that
falls on a Saturday or Sunday is made up on the next working day (第六条). What the law does not
fix is the year's 调休 (weekend days swapped to join holidays into longer breaks): the State
Council publishes it each autumn. A calendar built from these rules alone is therefore
*provisional*: right about every holiday, possibly wrong about a swapped weekend, and replaced
as soon as the official year is loaded.

Lunar and solar-term dates come from lunar-python (6tail's calendar library, maintained, with
astronomical solar terms), not from hand-written tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lunar_python import Lunar, Solar


@dataclass(frozen=True, slots=True)
class RestDay:
    day: date
    name: str  # the holiday, e.g. 春节; for a made-up day "春节（补假）"


def _solar(lunar: Lunar) -> date:
    solar: Solar = lunar.getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_day(lunar_year: int, month: int, day: int) -> date:
    return _solar(Lunar.fromYmd(lunar_year, month, day))


def holidays(year: int) -> list[RestDay]:
    """The statutory holidays that fall in `year` (Gregorian), before making up weekends."""
    found: list[RestDay] = [RestDay(date(year, 1, 1), "元旦")]
    # 春节 of lunar year `year` begins on 除夕, the last day of the previous lunar year; the
    # festival of lunar year `year + 1` may begin in late December's neighbour year, never in
    # this one, so one lunar year is enough.
    new_year = _lunar_day(year, 1, 1)
    found += [RestDay(new_year + timedelta(days=offset), "春节") for offset in range(-1, 3)]
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    found.append(
        RestDay(date(qingming.getYear(), qingming.getMonth(), qingming.getDay()), "清明节")
    )
    found += [RestDay(date(year, 5, 1), "劳动节"), RestDay(date(year, 5, 2), "劳动节")]
    found.append(RestDay(_lunar_day(year, 5, 5), "端午节"))
    found.append(RestDay(_lunar_day(year, 8, 15), "中秋节"))
    found += [RestDay(date(year, 10, offset), "国庆节") for offset in (1, 2, 3)]
    return sorted((rest for rest in found if rest.day.year == year), key=lambda rest: rest.day)


def rest_days(year: int) -> dict[date, str]:
    """Every weekday of `year` that is not a working day by the law alone: the holidays, and
    for each holiday on a weekend the next weekday that is not already off (补假). Weekends are
    rest days besides these."""
    off: dict[date, str] = {}
    for rest in holidays(year):
        off.setdefault(rest.day, rest.name)
    for rest in holidays(year):
        if rest.day.weekday() < 5:
            continue
        made_up = rest.day
        while made_up.weekday() >= 5 or made_up in off:
            made_up += timedelta(days=1)
        if made_up.year == year:
            off[made_up] = f"{rest.name}（补假）"
    return dict(sorted((day, name) for day, name in off.items() if day.weekday() < 5))


def is_workday(day: date, off: dict[date, str]) -> bool:
    """By the law alone: a weekday that is not a holiday or a made-up day."""
    return day.weekday() < 5 and day not in off
