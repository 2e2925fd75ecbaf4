"""No ORM query, and no Tortoise import, above storage/: the repositories are the one layer
that speaks to the database, so row scoping and statement counts are reviewed in one place."""

from __future__ import annotations

from tests.architecture import orm_scan


def test_no_orm_query_outside_storage() -> None:
    findings = orm_scan.scan()

    assert not findings, "ORM use outside storage/:\n" + "\n".join(map(str, findings))


def test_the_scanner_finds_a_planted_query() -> None:
    source = """
from tortoise.transactions import in_transaction

from storage.models.catalogue import Region


async def parents(code: str) -> list[Region]:
    async with in_transaction():
        region = await Region.filter(code=code).select_for_update().first()
        region.name = region.name.strip()
        await region.save()
    return [region]
"""
    found = {(f.line, f.what) for f in orm_scan.scan_source("resolvers/catalogue/x.py", source)}

    assert (2, "imports tortoise.transactions") in found
    assert (9, "Region.filter(code=code).select_for_update().first()") in found
    assert (11, "region.save()") in found


def test_the_scanner_leaves_non_queries_alone() -> None:
    source = """
from storage.models.catalogue import Region, RegionLevel


def levels(image, rows: list[str]) -> list[str]:
    image.save("out.png")
    return [RegionLevel(r).value for r in rows if r in RegionLevel.__members__] + rows.copy()
"""
    assert orm_scan.scan_source("resolvers/catalogue/x.py", source) == []
