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

from resolvers.appeals import keywords
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.appeals.transitions import SEALS
from resolvers.calendar.service import CHINA, china_date
from resolvers.resources import Resources
from storage.cache import Keys, RedisError, appeals_version
from storage.crypto import Keyring
from storage.models.appeals import AppealStatus, Satisfaction
from storage.models.catalogue import RegionLevel
from storage.repositories import appeals as repo
from storage.repositories.appeal_stats import OPEN as OPEN_STATUSES
from storage.repositories.appeal_stats import REPLIED as REPLIED_STATUSES

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
    """The figures from the aggregates (one row per day, district and leaf category, kept
    by every write that changes them): a month of a district adds up a few thousand rows."""
    computed_at = resources.clock()  # before the reads: the figures are at least this fresh
    minimum = resources.settings.appeal_insight_min_group
    districts = await _district_scope(filter.region_code)
    categories = {c.id: c for c in await repo.categories()}
    category_ids = _category_scope(categories, filter.category_code)
    first_week = monday(filter.start)
    cells = await repo.insight_cells(
        first=first_week - timedelta(weeks=BASELINE_WEEKS),
        last=filter.end,
        district_ids=districts,
        category_ids=category_ids,
    )
    in_period = [c for c in cells if c["day"] >= filter.start]
    regions = await _regions(districts)
    terms = await repo.insight_terms(
        first=filter.start, last=filter.end, district_ids=districts, category_ids=category_ids
    )
    topics = await _hot_topics_of_terms(resources, terms, regions, minimum)
    weekly = _weekly(
        [(c["day"], c["category_id"], c["district_id"], c["appeals"]) for c in cells],
        filter,
        categories,
        regions,
        minimum,
    )
    totals: Counter[str] = Counter()
    for cell in in_period:
        totals.update({k: v for k, v in cell.items() if isinstance(v, int)})
    levels = Counter({level: totals[f"rated_{level.value.lower()}"] for level in Satisfaction})
    return _answer(
        computed_at,
        filter,
        minimum,
        total=totals["appeals"],
        open=totals["open"],
        replied=totals["replied"],
        merged=totals["merged"],
        topics=topics,
        weekly=weekly,
        timeliness=(totals["replies"], totals["replies_on_time"], totals["reply_days"]),
        levels=levels,
    )


async def _regions(districts: list[UUID] | None) -> dict[UUID, Any]:
    regions = {r.id: r for r in await repo.county_regions()}
    if districts is not None:
        regions.update({r.id: r for r in await repo.regions_by_ids(districts)})
    return regions


async def _hot_topics_of_terms(
    resources: Resources,
    terms: list[tuple[str, UUID, int]],
    regions: dict[UUID, Any],
    minimum: int,
) -> list[dict[str, Any]]:
    """The hot topics from (digest, district, appeals) counts: only the digests that can
    make the list are opened (ties at the last place broken by the word, as in
    `_hot_topics`)."""
    documents: Counter[str] = Counter()
    places: dict[str, Counter[UUID]] = defaultdict(Counter)
    for digest, district, n in terms:
        documents[digest] += n
        places[digest][district] += n
    ranked = sorted((n for n in documents.values() if n >= minimum), reverse=True)
    if not ranked:
        return []
    floor = ranked[min(len(ranked), TOP_TOPICS) - 1]
    chosen = [d for d, n in documents.items() if n >= floor]
    sealed = await repo.insight_words(chosen)
    words = {
        digest: resources.keyring.open(text, context=SEALS["term"])
        for digest, text in sealed.items()
    }
    topics = []
    for digest in sorted(words, key=lambda d: (-documents[d], words[d])):
        top = [
            {"code": regions[region].code, "name": regions[region].name, "count": n}
            for region, n in sorted(places[digest].items(), key=lambda i: (-i[1], str(i[0])))
            if n >= minimum and region in regions
        ][:TOP_REGIONS_PER_TOPIC]
        topics.append({"keyword": words[digest], "count": documents[digest], "regions": top})
        if len(topics) == TOP_TOPICS:
            break
    return topics


async def compute_from_rows(resources: Resources, filter: Filter) -> dict[str, Any]:
    """The same figures as `compute`, counted from every appeal row in scope: slow, kept to
    check the aggregates against (the tests, `rongban insights check`)."""
    computed_at = resources.clock()  # before the reads: the figures are at least this fresh
    minimum = resources.settings.appeal_insight_min_group
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
    regions = await _regions(districts)
    keywords = await anyio.to_thread.run_sync(_open_keywords, resources.keyring, in_period)
    topics = _hot_topics(in_period, keywords, regions, minimum)
    weekly = _weekly(
        [(china_date(r["submitted_at"]), r["category_id"], r["district_id"], 1) for r in rows],
        filter,
        categories,
        regions,
        minimum,
    )
    end_at = _bounds(filter.end, end=True)
    timeliness = await repo.insight_timeliness(
        start=start_at, end=end_at, district_ids=districts, category_ids=category_ids
    )
    counted = await repo.insight_levels(
        start=start_at, end=end_at, district_ids=districts, category_ids=category_ids
    )
    statuses = Counter(AppealStatus(r["status"]) for r in in_period)
    return _answer(
        computed_at,
        filter,
        minimum,
        total=len(in_period),
        open=sum(n for s, n in statuses.items() if s in OPEN_STATUSES),
        replied=sum(n for s, n in statuses.items() if s in REPLIED_STATUSES),
        merged=statuses.get(AppealStatus.MERGED, 0),
        topics=topics,
        weekly=weekly,
        timeliness=timeliness,
        levels=Counter({Satisfaction(level): n for level, n in counted.items()}),
    )


def _weekly(
    counts: list[tuple[date, UUID, UUID, int]],
    filter: Filter,
    categories: dict[UUID, Any],
    regions: dict[UUID, Any],
    minimum: int,
) -> dict[str, list[dict[str, Any]]]:
    """Category and district trends of the period and the spikes, from (China day, leaf
    category, district, appeals) counts that reach back BASELINE_WEEKS before it."""
    groups = {c.id: categories[c.parent_id] if c.parent_id else c for c in categories.values()}
    weeks = []
    week = monday(filter.start)
    while week <= filter.end:
        weeks.append(week)
        week += timedelta(weeks=1)
    by_category: dict[tuple[Any, date], int] = Counter()
    by_region: dict[tuple[Any, date], int] = Counter()
    by_leaf_region: dict[tuple[Any, Any, date], int] = Counter()
    for day, category_id, district_id, n in counts:
        week = monday(day)
        leaf = categories.get(category_id)
        if leaf is None or not n:
            continue
        by_leaf_region[(leaf.id, district_id, week)] += n
        if day >= filter.start:
            by_category[(groups[leaf.id].id, week)] += n
            by_region[(district_id, week)] += n

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
    return {
        "categoryTrends": category_trends,
        "regionTrends": region_trends,
        "spikes": _spikes(by_leaf_region, weeks, filter, categories, regions, minimum),
    }


def _answer(
    computed_at: datetime,
    filter: Filter,
    minimum: int,
    *,
    total: int,
    open: int,
    replied: int,
    merged: int,
    topics: list[dict[str, Any]],
    weekly: dict[str, list[dict[str, Any]]],
    timeliness: tuple[int, int, int],
    levels: Counter[Satisfaction],
) -> dict[str, Any]:
    replies, on_time, days = timeliness
    rated = sum(levels.values())
    return {
        "computedAt": computed_at.isoformat(),
        "start": filter.start.isoformat(),
        "end": filter.end.isoformat(),
        "total": total,
        "open": open,
        "replied": replied,
        "merged": merged,
        "minGroupSize": minimum,
        "hotTopics": topics,
        **weekly,
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


BACKFILL_BATCH = 2000


async def backfill(keyring: Keyring, *, recount: bool = True) -> tuple[int, int]:
    """After the aggregates are added (or to repair them): recounts them from the appeal
    rows (`recount`, PostgreSQL), then learns the words behind keyword digests nobody has
    filed since, opening only the appeals that carry such a digest. Returns (appeals read,
    words learnt)."""
    if recount:
        await repo.rebuild_insights()
    known = await repo.insight_known_digests()
    read = learnt = 0
    after: UUID | None = None
    while True:
        batch = await repo.appeals_by_id(after, BACKFILL_BATCH)
        if not batch:
            return read, learnt
        after = batch[-1]["id"]
        read += len(batch)
        new: dict[str, str] = {}
        for row in batch:
            if set(row["keyword_digests"] or ()) <= known:
                continue
            for word in orjson.loads(
                keyring.open(row["keywords_sealed"], context=SEALS["keywords"])
            ):
                digest = keywords.digest(keyring, word)
                if digest not in known and digest not in new:
                    new[digest] = keyring.seal(word, context=SEALS["term"])
        if new:
            await repo.remember_terms(new)
            known |= set(new)
            learnt += len(new)
