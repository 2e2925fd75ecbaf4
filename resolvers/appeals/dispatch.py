"""Automatic dispatch (派单) through the dispatch table, and who speaks for the 12345 centre."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from resolvers.resources import Resources
from storage.models.appeals import AppealCategory
from storage.models.catalogue import Department, Region, RegionLevel
from storage.repositories import appeals as repo

# The dispatch catalogue (派单目录) is first loaded by the seed and then edited by the 12345
# centre (resolvers/appeals/catalogue.py); both refuse a catalogue past these sizes, retired
# categories included: two levels, groups of leaves, a few synonyms each.
MAX_CATEGORY_GROUPS = 30
MAX_CATEGORY_CHILDREN = 30
MAX_CATEGORY_KEYWORDS = 20


def category_keywords(text: str) -> list[str]:
    """A category's synonyms, stored comma-separated."""
    return [k for k in text.split(",") if k]


def catalogue_problems(categories: list[AppealCategory]) -> list[str]:
    """Why a dispatch catalogue (every category, stored and new) is too large to serve."""
    problems = []
    groups = [c for c in categories if c.parent_id is None]
    if len(groups) > MAX_CATEGORY_GROUPS:
        problems.append(f"more than {MAX_CATEGORY_GROUPS} groups")
    children: dict[UUID, int] = {}
    for category in categories:
        if category.parent_id is not None:
            children[category.parent_id] = children.get(category.parent_id, 0) + 1
        if len(category_keywords(category.keywords)) > MAX_CATEGORY_KEYWORDS:
            problems.append(f"{category.code}: more than {MAX_CATEGORY_KEYWORDS} keywords")
    by_id = {c.id: c.code for c in categories}
    problems += [
        f"{by_id.get(parent, parent)}: more than {MAX_CATEGORY_CHILDREN} categories"
        for parent, count in children.items()
        if count > MAX_CATEGORY_CHILDREN
    ]
    return problems


@dataclass(frozen=True, slots=True)
class Place:
    """Where an appeal is: its region, the regions above it (nearest first), its district."""

    region: Region
    chain: list[Region]
    district: Region


async def place_of(resources: Resources, region: Region) -> Place:
    """The region's place, from the regions held in memory."""
    ids = await resources.reference.region_chain(region.id)
    rows = {r.id: r for r in await resources.reference.regions(ids)}
    chain = [rows[i] for i in ids]
    district = next(
        (r for r in chain if r.level in (RegionLevel.COUNTY, RegionLevel.ZONE)), chain[-1]
    )
    return Place(region=region, chain=chain, district=district)


async def route(resources: Resources, category: AppealCategory, place: Place) -> UUID | None:
    """The department the dispatch table names for this category here: the region's own
    row first, then each region above (属地 before the city), and at each level the leaf
    category before its group. None: the 12345 centre dispatches it by hand."""
    categories = [category.id] + ([category.parent_id] if category.parent_id else [])
    table = await resources.reference.appeal_routes(categories, [r.id for r in place.chain])
    for region in place.chain:
        for category_id in categories:
            found = table.get((region.id, category_id))
            if found is not None:
                return found
    return None


async def centre(resources: Resources) -> Department | None:
    return await repo.department_by_code(resources.settings.appeal_centre_department_code)
