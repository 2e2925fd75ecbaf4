"""Insights for decisions (staff only): hot topics, weekly trends, spikes, timeliness and
satisfaction. Only aggregates leave this module: keywords are opened in memory for counting,
and every keyword or cell with fewer appeals than the minimum group size is suppressed, so
that no one resident's appeal can be read out of the figures."""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

import anyio
import orjson

from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.calendar.service import CHINA, china_date
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, appeals_version
from storage.crypto import Keyring
from storage.models.appeals import AppealStatus, Satisfaction
from storage.models.catalogue import RegionLevel
from storage.repositories import appeals as repo

MAX_DAYS = 400
DEFAULT_WEEKS = 12
BASELINE_WEEKS = 4  # a week is compared with the four before it
TOP_TOPICS = 20
TOP_REGIONS_PER_TOPIC = 5
TOP_SPIKES = 20
# Weekly points of a series: the weeks from the Monday before `start` to `end`.
MAX_WEEKS = MAX_DAYS // 7 + 2
# Series by district: the city's counties and functional zones (23 today).
MAX_DISTRICT_SERIES = 50
_VERSION = 2  # bump when the cached shape changes


@dataclass(frozen=True, slots=True)
class Filter:
    start: date  # China dates, both included
    end: date
    region_code: str | None = None
    category_code: str | None = None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _bounds(day: date, *, end: bool = False) -> datetime:
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(0), tzinfo=CHINA)
    return moment.astimezone(UTC)


async def resolve_filter(resources: Resources, filter: Filter | None) -> Filter:
    today = china_date(resources.clock())
    if filter is None:
        return Filter(start=monday(today) - timedelta(weeks=DEFAULT_WEEKS - 1), end=today)
    if filter.end < filter.start:
        raise AppealError(Code.INVALID_INPUT, "filter.end")
    if (filter.end - filter.start).days > MAX_DAYS:
        raise AppealError(Code.INVALID_INPUT, "filter.start")
    return filter


async def insights(resources: Resources, filter: Filter) -> dict[str, Any]:
    """The figures for the filter, with the moment they were computed. Cached (they are
    aggregates only, safe to keep) under the appeals version read before computing: a
    filing or a move that commits bumps it (transitions.changed), so no answer is served
    after a change it may not have seen; `appeal_insight_cache_seconds` bounds the rest."""
    settings = resources.settings
    key = None
    if settings.appeal_insight_cache_seconds:
        try:
            version = await appeals_version(resources.redis)
            key = Keys.appeal_insights(_digest(filter, settings.appeal_insight_min_group, version))
            cached = await resources.redis.get(key)
        except RedisError:
            key = cached = None  # no cache: computed, not stored
        if cached:
            found: dict[str, Any] = orjson.loads(cached)
            return found
    result = await compute(resources, filter)
    if key is not None:
        with contextlib.suppress(RedisError):  # a cache miss next time, nothing worse
            await resources.redis.set(
                key, orjson.dumps(result).decode(), ex=settings.appeal_insight_cache_seconds
            )
    return result


def _digest(filter: Filter, min_group: int, appeals: int) -> str:
    parts = (
        _VERSION,
        appeals,
        filter.start,
        filter.end,
        filter.region_code,
        filter.category_code,
        min_group,
    )
    text = "|".join(str(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


async def compute(resources: Resources, filter: Filter) -> dict[str, Any]:
    computed_at = resources.clock()  # before the reads: the figures are at least this fresh
    settings = resources.settings
    minimum = settings.appeal_insight_min_group
    districts = await _district_scope(filter.region_code)
    categories = {c.id: c for c in await repo.categories()}
    category_ids = _category_scope(categories, filter.category_code)
    first_week = monday(filter.start)
    rows = await repo.insight_rows(
        start=_bounds(first_week - timedelta(weeks=BASELINE_WEEKS)),
        end=_bounds(filter.end, end=True),
        district_ids=districts,
        category_ids=category_ids,
    )
    start_at = _bounds(filter.start)
    in_period = [r for r in rows if r["submitted_at"] >= start_at]
    regions = {r.id: r for r in await repo.county_regions()}
    if districts is not None:
        regions.update({r.id: r for r in await repo.regions_by_ids(districts)})
    groups = {c.id: categories[c.parent_id] if c.parent_id else c for c in categories.values()}

    keywords = await anyio.to_thread.run_sync(_open_keywords, resources.keyring, in_period)
    topics = _hot_topics(in_period, keywords, regions, minimum)

    weeks = []
    week = first_week
    while week <= filter.end:
        weeks.append(week)
        week += timedelta(weeks=1)
    by_category: dict[tuple[Any, date], int] = Counter()
    by_region: dict[tuple[Any, date], int] = Counter()
    by_leaf_region: dict[tuple[Any, Any, date], int] = Counter()
    for row in rows:
        week = monday(china_date(row["submitted_at"]))
        leaf = categories.get(row["category_id"])
        if leaf is None:
            continue
        by_leaf_region[(leaf.id, row["district_id"], week)] += 1
        if row["submitted_at"] >= start_at:
            by_category[(groups[leaf.id].id, week)] += 1
            by_region[(row["district_id"], week)] += 1

    def series(counter: dict[tuple[Any, date], int], key: Any) -> list[dict[str, Any]]:
        points = []
        for week in weeks:
            count = counter.get((key, week), 0)
            hidden = 0 < count < minimum
            points.append(
                {
                    "weekStart": week.isoformat(),
                    "count": None if hidden else count,
                    "suppressed": hidden,
                }
            )
        return points

    category_trends = [
        {
            "code": categories[key].code,
            "name": categories[key].name,
            "points": series(by_category, key),
        }
        for key in sorted({k for k, _ in by_category}, key=lambda k: categories[k].code)
    ]
    region_trends = [
        {"code": regions[key].code, "name": regions[key].name, "points": series(by_region, key)}
        for key in sorted(
            {k for k, _ in by_region}, key=lambda k: regions[k].code if k in regions else ""
        )
        if key in regions
    ][:MAX_DISTRICT_SERIES]
    spikes = _spikes(by_leaf_region, weeks, filter, categories, regions, minimum)

    end_at = _bounds(filter.end, end=True)
    replies, on_time, days = await repo.insight_timeliness(
        start=start_at, end=end_at, district_ids=districts, category_ids=category_ids
    )
    counted = await repo.insight_levels(
        start=start_at, end=end_at, district_ids=districts, category_ids=category_ids
    )
    levels = Counter({Satisfaction(level): n for level, n in counted.items()})
    statuses = Counter(r["status"] for r in in_period)
    open_statuses = {
        AppealStatus.SUBMITTED,
        AppealStatus.DISPATCHED,
        AppealStatus.SIGNED,
        AppealStatus.RETURNED,
    }
    rated = sum(levels.values())
    return {
        "computedAt": computed_at.isoformat(),
        "start": filter.start.isoformat(),
        "end": filter.end.isoformat(),
        "total": len(in_period),
        "open": sum(n for s, n in statuses.items() if AppealStatus(s) in open_statuses),
        "replied": sum(
            1
            for r in in_period
            if AppealStatus(r["status"]) in (AppealStatus.REPLIED, AppealStatus.CLOSED)
        ),
        "merged": statuses.get(AppealStatus.MERGED, 0),
        "minGroupSize": minimum,
        "hotTopics": topics,
        "categoryTrends": category_trends,
        "regionTrends": region_trends,
        "spikes": spikes,
        "timeliness": {
            "replies": replies,
            "onTimeRate": round(on_time / replies, 4) if replies else None,
            "averageWorkingDays": round(days / replies, 2) if replies else None,
        },
        "satisfaction": {
            "rated": rated,
            "levels": [
                {"level": level.value, "count": levels.get(level, 0)} for level in Satisfaction
            ],
            "satisfiedRate": (
                round(
                    (levels[Satisfaction.SATISFIED] + levels[Satisfaction.BASICALLY_SATISFIED])
                    / rated,
                    4,
                )
                if rated
                else None
            ),
        },
    }


def _open_keywords(keyring: Keyring, rows: list[dict[str, Any]]) -> list[list[str]]:
    """Each appeal's keywords, opened in memory for counting and dropped with the call."""
    opened = []
    for row in rows:
        words = orjson.loads(keyring.open(row["keywords_sealed"], context="appeal.keywords"))
        opened.append(sorted(set(words)))
    return opened


def _hot_topics(
    rows: list[dict[str, Any]], keywords: list[list[str]], regions: dict[UUID, Any], minimum: int
) -> list[dict[str, Any]]:
    documents: Counter[str] = Counter()
    places: dict[str, Counter[UUID]] = defaultdict(Counter)
    for row, words in zip(rows, keywords, strict=True):
        for word in words:
            documents[word] += 1
            places[word][row["district_id"]] += 1
    topics = []
    for word, count in sorted(documents.items(), key=lambda item: (-item[1], item[0])):
        if count < minimum:
            break
        top = [
            {"code": regions[region].code, "name": regions[region].name, "count": n}
            for region, n in sorted(places[word].items(), key=lambda item: (-item[1], str(item[0])))
            if n >= minimum and region in regions
        ][:TOP_REGIONS_PER_TOPIC]
        topics.append({"keyword": word, "count": count, "regions": top})
        if len(topics) == TOP_TOPICS:
            break
    return topics


def _spikes(
    counts: dict[tuple[Any, Any, date], int],
    weeks: list[date],
    filter: Filter,
    categories: dict[UUID, Any],
    regions: dict[UUID, Any],
    minimum: int,
) -> list[dict[str, Any]]:
    """A week stands out when it has at least the minimum group, at least twice the mean of
    the four weeks before, and exceeds that mean by three Poisson standard deviations."""
    found = []
    pairs = {(c, r) for c, r, _ in counts}
    for category_id, region_id in pairs:
        for week in weeks:
            if week < monday(filter.start):
                continue
            count = counts.get((category_id, region_id, week), 0)
            if count < minimum:
                continue
            before = [
                counts.get((category_id, region_id, week - timedelta(weeks=n)), 0)
                for n in range(1, BASELINE_WEEKS + 1)
            ]
            baseline = sum(before) / BASELINE_WEEKS
            if count >= 2 * max(baseline, 1.0) and count - baseline >= 3 * math.sqrt(
                max(baseline, 1.0)
            ):
                region = regions.get(region_id)
                found.append(
                    {
                        "categoryCode": categories[category_id].code,
                        "categoryName": categories[category_id].name,
                        "regionCode": region.code if region else None,
                        "regionName": region.name if region else None,
                        "weekStart": week.isoformat(),
                        "count": count,
                        "baseline": round(baseline, 2),
                        "ratio": round(count / max(baseline, 1.0), 2),
                    }
                )
    found.sort(
        key=lambda s: (-s["ratio"], s["weekStart"], s["categoryCode"], s["regionCode"] or "")
    )
    return found[:TOP_SPIKES]


async def _district_scope(region_code: str | None) -> list[UUID] | None:
    """None: the whole city. A county or zone: itself. Finer regions are refused: figures
    for a street would come close to describing single residents."""
    if not region_code:
        return None
    region = await repo.region_by_code(region_code.strip()) if len(region_code) <= 12 else None
    if region is None:
        raise AppealError(Code.REGION_NOT_FOUND, "filter.regionCode")
    if region.level is RegionLevel.CITY:
        return None
    if region.level not in (RegionLevel.COUNTY, RegionLevel.ZONE):
        raise AppealError(Code.INVALID_INPUT, "filter.regionCode")
    return [region.id]


def _category_scope(categories: dict[UUID, Any], code: str | None) -> list[UUID] | None:
    if not code:
        return None
    chosen = next((c for c in categories.values() if c.code == code.strip()), None)
    if chosen is None:
        raise AppealError(Code.CATEGORY_NOT_FOUND, "filter.categoryCode")
    children = [c.id for c in categories.values() if c.parent_id == chosen.id]
    return children or [chosen.id]
