"""`rongban insights backfill`: the appeal insight aggregates recounted from the appeal rows,
and the words behind their keyword digests learnt (after migrating a database that already
holds appeals, or to repair the aggregates)."""

from __future__ import annotations

import argparse
import sys
import time

from api.resources import run_with_resources
from resolvers.appeals.insights import backfill
from resolvers.resources import Resources
from resolvers.settings import Settings


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("insights", help="the appeal insight aggregates")
    actions = parser.add_subparsers(dest="insights_command", required=True)
    fill = actions.add_parser(
        "backfill", help="recount the aggregates from the appeals and learn their keywords"
    )
    fill.add_argument(
        "--words-only",
        action="store_true",
        help="keep the counts (the migration made them); only learn the keywords",
    )


def run(settings: Settings, args: argparse.Namespace) -> None:
    sys.exit(run_with_resources(settings, lambda r: _backfill(r, recount=not args.words_only)))


async def _backfill(resources: Resources, *, recount: bool) -> int:
    started = time.monotonic()
    read, learnt = await backfill(resources.keyring, recount=recount)
    print(  # noqa: T201
        f"insights: {'recounted, ' if recount else ''}{read} appeals read, {learnt} keywords "
        f"learnt in {time.monotonic() - started:.1f} s"
    )
    return 0
