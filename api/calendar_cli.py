"""`rongban calendar load`: a year the State Council has published replaces its provisional
rows, and the due dates counted over it are counted again."""

from __future__ import annotations

import argparse
import calendar
import json
import sys
from datetime import date
from pathlib import Path

from api.resources import run_with_resources
from resolvers.applications.deadlines import recount
from resolvers.calendar.workdays import (
    OfficialDay,
    chinesecalendar_days,
    chinesecalendar_last_year,
    last_known_day,
    load_official,
)
from resolvers.resources import Resources
from resolvers.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("calendar", help="the working-day calendar")
    actions = parser.add_subparsers(dest="calendar_command", required=True)
    load = actions.add_parser(
        "load",
        help=(
            "load published years (from a file, else from the installed chinesecalendar) "
            "and count affected due dates again"
        ),
    )
    load.add_argument(
        "--file",
        help='JSON: {"days": [{"date": "2027-01-01", "workday": false, "note": "元旦"}, ...]}, '
        "whole years only",
    )


def run(settings: Settings, args: argparse.Namespace) -> None:
    days: list[OfficialDay] | None = (
        read_file(Path(args.file)) if args.file else None
    )  # None: from chinesecalendar
    sys.exit(run_with_resources(settings, lambda r: _load(r, days)))


def read_file(path: Path) -> list[OfficialDay]:
    """Every day of each year the file covers, or exit with what is wrong."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        rows = document["days"] if isinstance(document, dict) else document
        days = [
            OfficialDay(
                day=date.fromisoformat(str(row["date"])),
                is_workday=_boolean(row["workday"]),
                note=str(row.get("note") or "")[:64],
            )
            for row in rows
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        sys.exit(f"cannot read {path}: {exc}")
    by_day = {d.day: d for d in days}
    if len(by_day) != len(days):
        sys.exit(f"{path}: a date is listed twice")
    for year in sorted({d.day.year for d in days}):
        expected = 366 if calendar.isleap(year) else 365
        found = sum(1 for d in by_day if d.year == year)
        if found != expected:
            sys.exit(f"{path}: {year} has {found} of its {expected} days; load whole years")
    return days


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("workday must be true or false")
    return value


def from_chinesecalendar(after: date | None) -> list[OfficialDay]:
    """The years the installed chinesecalendar has published after `after`."""
    last_year = chinesecalendar_last_year()
    first_year = after.year + 1 if after is not None else last_year
    return chinesecalendar_days(first_year, last_year) if first_year <= last_year else []


async def _load(resources: Resources, days: list[OfficialDay] | None) -> int:
    if days is None:
        days = from_chinesecalendar(await last_known_day())
        if not days:
            print("chinesecalendar publishes nothing the calendar lacks")  # noqa: T201
            return 0
    written, since = await load_official(days)
    moved = await recount(resources, since)
    years = sorted({d.day.year for d in days})
    print(  # noqa: T201
        f"loaded {', '.join(map(str, years))}: {written} days written "
        f"(ADMIN edits kept); {moved} due dates counted again"
    )
    return 0
