"""`rongban payments reconcile --date D`: WeChat Pay's trade bill of day D (China time)
matched line by line with our paid orders and refunds; exit 1 when anything does not match
(paid-but-unknown, known-but-unpaid, amount mismatches), 2 when the bill cannot be had."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from api.resources import run_with_resources
from resolvers.payments import service as payments
from resolvers.resources import Resources
from resolvers.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("payments", help="WeChat Pay fees: reconciliation")
    actions = parser.add_subparsers(dest="payments_command", required=True)
    reconcile = actions.add_parser(
        "reconcile", help="match a day's trade bill with our records (exit 1 on a mismatch)"
    )
    reconcile.add_argument(
        "--date", required=True, type=date.fromisoformat, help="the day, YYYY-MM-DD (China time)"
    )


def run(settings: Settings, args: argparse.Namespace) -> None:
    sys.exit(run_with_resources(settings, lambda r: reconcile(r, args.date)))


def _line(entry: dict[str, object]) -> str:
    return " ".join(f"{key}={value}" for key, value in entry.items())


async def reconcile(resources: Resources, day: date) -> int:
    try:
        report = await payments.reconcile(resources, day)
    except payments.BillUnavailable:
        print(f"payments: the trade bill of {day} is not available")  # noqa: T201
        return 2
    out = [f"payments {day}: {report.lines} bill lines, {report.matched} matched"]
    for title, entries in (
        ("paid but unknown", report.paid_but_unknown),
        ("known but unpaid", report.known_but_unpaid),
        ("amount mismatch", report.amount_mismatches),
    ):
        out.append(f"{title}: {len(entries)}")
        out.extend(f"  {_line(entry)}" for entry in entries)
    print("\n".join(out))  # noqa: T201
    return 0 if report.clean else 1
