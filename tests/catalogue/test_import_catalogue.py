"""`rongban import-catalogue`: all or nothing, with every error listed by row and field."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.seed import _seed_file, seed_regions
from resolvers.catalogue.importer import import_catalogue
from storage.models.catalogue import (
    Article,
    BaseItem,
    Implementation,
    PublicationStatus,
    ServiceCentre,
)
from tests.conftest import RunningApp, migrated_sqlite

ROOT = Path(__file__).resolve().parents[2]


def demo() -> dict[str, Any]:
    return copy.deepcopy(_seed_file("catalogue.json"))


async def test_the_demo_catalogue_imports_completely(seeded: RunningApp) -> None:
    # `seeded` imported it already; a second import publishes version 2 of every guide.
    report = await import_catalogue(demo())

    assert report.errors == []
    assert report.counts == {"baseItems": 34, "implementations": 240, "articles": 10, "centres": 23}
    assert await Implementation.filter(status=PublicationStatus.PUBLISHED).count() == 240
    assert await Implementation.filter(status=PublicationStatus.ARCHIVED).count() == 240
    assert await Implementation.filter(status=PublicationStatus.PUBLISHED, version=2).count() == 240


async def test_a_bad_row_stops_everything_and_every_error_is_listed(seeded: RunningApp) -> None:
    before = (
        await BaseItem.all().count(),
        await Implementation.all().count(),
        await Article.all().count(),
    )
    document = demo()
    document["baseItems"][0]["name"] = ""
    document["baseItems"][1]["itemType"] = "99"
    document["implementations"][3]["promisedDays"] = 999
    document["implementations"][4]["materials"][0]["necessity"] = "SOMETIMES"
    document["implementations"][5]["departmentCode"] = "11510100000000000X"
    document["implementations"][6]["regionCode"] = "510199"
    document["centres"][0]["location"] = {"lat": 0, "lng": 0}

    report = await import_catalogue(document)

    problems = {(e.field, e.rule) for e in report.errors}
    assert ("baseItems[0].name", "REQUIRED") in problems
    assert ("baseItems[1].itemType", "INVALID_FIELD") in problems
    assert ("implementations[4].materials[0].necessity", "INVALID_FIELD") in problems
    assert ("implementations[5].departmentCode", "INVALID_FIELD") in problems
    assert ("implementations[6].regionCode", "UNKNOWN_REGION") in problems
    assert ("centres[0].location.lat", "INVALID_FIELD") in problems
    assert report.counts == {}
    after = (
        await BaseItem.all().count(),
        await Implementation.all().count(),
        await Article.all().count(),
    )
    assert after == before


async def test_the_publication_rules_apply_to_imports(seeded: RunningApp) -> None:
    document = demo()
    document["implementations"][0]["promisedDays"] = 100  # beyond its statutory limit
    document["implementations"][1]["name"] = "另一个名称"  # 三级四同, no justification

    report = await import_catalogue(document)

    rules = {(e.field, e.rule) for e in report.errors}
    assert rules == {
        ("implementations[0].promisedDays", "PROMISED_WITHIN_STATUTORY"),
        ("implementations[1].divergenceJustification", "DIVERGENCE_NEEDS_JUSTIFICATION"),
    }


async def test_not_a_catalogue(running: RunningApp) -> None:
    assert (await import_catalogue({"format": "something/else"})).errors[0].field == "format"
    assert (await import_catalogue([1, 2, 3])).errors[0].field == "format"
    report = await import_catalogue({"format": "rongban-catalogue/1", "baseItems": "nope"})
    assert [(e.field, e.rule) for e in report.errors] == [("baseItems", "INVALID_FIELD")]


async def test_an_import_into_an_empty_catalogue(running: RunningApp) -> None:
    await seed_regions()
    document = demo()
    document["implementations"] = []  # no departments exist in this database

    report = await import_catalogue(document)

    assert report.errors == []
    assert await BaseItem.all().count() == 34
    assert await ServiceCentre.all().count() == 23


def _cli(tmp_path: Path, database: str, document: Any) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")}
    env["RONGBAN_DATABASE_URL"] = database
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "import-catalogue", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_command_reports_errors_and_exits_non_zero(tmp_path: Path) -> None:
    database = f"sqlite://{tmp_path}/cli.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RONGBAN_")}
    env["RONGBAN_DATABASE_URL"] = database
    migrated_sqlite(tmp_path / "cli.sqlite3")
    subprocess.run(
        [sys.executable, "-m", "api.cli", "seed"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    document = demo()
    document["baseItems"][2]["legalBasis"] = ""

    failed = _cli(tmp_path, database, document)
    document["baseItems"][2]["legalBasis"] = "《依据》"
    document["implementations"] = []
    succeeded = _cli(tmp_path, database, document)

    assert failed.returncode == 1
    assert "baseItems[2].legalBasis: [REQUIRED]" in failed.stderr
    assert "nothing was imported" in failed.stderr
    assert succeeded.returncode == 0, succeeded.stderr
    assert "34 baseItems" in succeeded.stdout
