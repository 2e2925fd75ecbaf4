"""Recommended services, most specific first, each with a zh-CN reason: for the signed-in
resident, from their own profile (age and region of the verified ID number), wallet (documents
nearing expiry, business licences) and history (what usually follows what they did); then, for
anyone, what is popular in the caller's district and in the city; then what people commonly
need (rules for everyone), so that a new resident or an anonymous caller never sees an empty
list.

Nothing is computed about anyone but the caller, and nothing personal is logged or cached:
the profile lives in memory for the length of the request.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

import orjson

from resolvers.calendar.service import china_date
from resolvers.catalogue import service as catalogue
from resolvers.principal import Principal
from resolvers.resources import Resources
from resolvers.scenarios.errors import ScenarioError
from resolvers.scenarios.plan import CITY_CODE, RegionSource, implementations_for, plan_region
from resolvers.scenarios.profile import Profile, own_profile
from storage.cache import Keys, RedisError
from storage.models.accounts import Role
from storage.models.applications import ApplicationStatus
from storage.models.catalogue import BaseItem, Implementation, Region
from storage.models.documents import Document
from storage.models.scenarios import (
    RecommendationKind,
    RecommendationRule,
    RecommendationTarget,
    Scenario,
)
from storage.repositories import catalogue as catalogue_repo
from storage.repositories import scenarios as repo

log = logging.getLogger(__name__)

MAX_RECOMMENDATIONS = 20
HISTORY_DAYS = 365
HISTORY_ROWS = 200
DEFAULT_WITHIN_DAYS = 90
POPULAR_CANDIDATES = 100
# Placeholders a rule's reason may use.
PLACEHOLDERS = frozenset({"days", "age", "item", "document", "after"})
DOCUMENT_LABELS = {
    "ID_CARD_FRONT": "居民身份证",
    "ID_CARD_BACK": "居民身份证",
    "HOUSEHOLD_REGISTER": "居民户口簿",
    "BUSINESS_LICENCE": "营业执照",
    "PHOTO": "照片",
    "CERTIFICATE": "证照",
    "OTHER": "材料",
}
# What the resident did not really do: these do not count as history.
_NOT_DONE = frozenset(
    {ApplicationStatus.WITHDRAWN, ApplicationStatus.NOT_ACCEPTED, ApplicationStatus.DENIED}
)


class ReasonCode(StrEnum):
    DOCUMENT_EXPIRING = "DOCUMENT_EXPIRING"
    DOCUMENT_EXPIRED = "DOCUMENT_EXPIRED"
    AGE = "AGE"
    REGION = "REGION"
    ORGANISATION = "ORGANISATION"
    FOLLOW_UP = "FOLLOW_UP"
    POPULAR_NEARBY = "POPULAR_NEARBY"
    POPULAR = "POPULAR"
    LIFE_EVENT = "LIFE_EVENT"


@dataclass(frozen=True, slots=True)
class Recommendation:
    reason_code: ReasonCode
    reason: str
    item: BaseItem | None = None
    service: Implementation | None = None  # the item's guide for the resident's region
    scenario: Scenario | None = None
    rule: str | None = None  # the rule's code; None for popular services


def reason_problems(template: str) -> list[str]:
    """Placeholders a reason template may not use (checked when rules are loaded)."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return ["{"]
    return sorted(names - PLACEHOLDERS)


def _fill(template: str, values: Mapping[str, object]) -> str:
    return template.format_map({name: values.get(name, "") for name in PLACEHOLDERS})


async def recommend(
    resources: Resources, principal: Principal, first: int, region_code: str | None = None
) -> list[Recommendation]:
    """At most `first` recommendations: the resident's personal ones; services popular in
    the caller's district (`region_code`, else the verified resident's own district in
    Chengdu), then in the city, that they have not applied for; then what everyone commonly
    needs. Raises ScenarioError UNKNOWN_REGION for a region code that names no region."""
    found: list[Recommendation] = []
    skip: set[UUID] = set()  # base items already recommended or applied for
    profile: Profile | None = None
    if principal.account_id is not None and Role.RESIDENT in principal.roles:
        personal = _Personal(resources, principal.account_id)
        found = await personal.recommendations(principal, region_code)
        profile = personal.profile
        skip = personal.applied | {r.item.id for r in found if r.item is not None}
    region, source = await _region(region_code, profile)
    days = resources.settings.recommendation_popular_days
    district = await _district(region) if region and source is not RegionSource.CITY else None
    if district is not None:
        for service, count in await popular(resources, district.code):
            if len(found) >= first:
                break
            if service.base_id not in skip:
                skip.add(service.base_id)
                reason = f"近 {days} 天{district.name}有 {count} 人次申请"
                found.append(Recommendation(ReasonCode.POPULAR_NEARBY, reason, service=service))
    for service, count in await popular(resources):
        if len(found) >= first:
            break
        if service.base_id not in skip:
            skip.add(service.base_id)
            reason = f"近 {days} 天有 {count} 人次申请"
            found.append(Recommendation(ReasonCode.POPULAR, reason, service=service))
    if len(found) < first:
        scenarios = {r.scenario.code for r in found if r.scenario is not None}
        for common in await _for_everyone(resources, region):
            if len(found) >= first:
                break
            if common.item is not None and common.item.id in skip:
                continue
            if common.scenario is not None and common.scenario.code in scenarios:
                continue
            found.append(common)
    found = found[:first]
    # Popular ones name their item too: one statement for all of them.
    missing = [r.service.base_id for r in found if r.item is None and r.service is not None]
    items = {b.id: b for b in await repo.base_items_by_ids(missing)} if missing else {}
    return [
        replace(r, item=items.get(r.service.base_id)) if r.item is None and r.service else r
        for r in found
    ]


async def _region(
    region_code: str | None, profile: Profile | None
) -> tuple[Region | None, RegionSource]:
    """The region to show guides of: the one asked for (UNKNOWN_REGION if it names none),
    the verified resident's own, else the city; None while the catalogue has no regions at
    all (a new deployment): recommendations then name items without a guide."""
    try:
        return await plan_region(region_code, profile)
    except ScenarioError:
        if region_code is not None:
            raise
        return None, RegionSource.CITY


async def _district(region: Region) -> Region | None:
    """The district (county level, six digits) a region lies in; None for the city itself."""
    code = region.code[:6]
    if len(region.code) < 6 or code == CITY_CODE:
        return None
    if region.code == code:
        return region
    found = await catalogue_repo.regions_by_codes([code])
    return found[0] if found else None


async def _for_everyone(resources: Resources, region: Region | None) -> list[Recommendation]:
    """The rules without a condition, resolved for the region: the same for every caller."""
    rules = [r for r in await repo.rules() if r.kind is RecommendationKind.EVERYONE]
    codes = sorted({r.target_code for r in rules if r.target is RecommendationTarget.ITEM})
    bases = {b.basic_code: b for b in await repo.base_items_by_codes(codes)} if codes else {}
    candidates: list[_Candidate] = []
    for rule in rules:
        candidate = _Candidate(rule, ReasonCode.LIFE_EVENT, {})
        if rule.target is RecommendationTarget.SCENARIO:
            candidate.scenario_code = rule.target_code
        elif rule.target_code in bases:
            candidate.base_id = bases[rule.target_code].id
        else:
            continue
        candidates.append(candidate)
    return await _resolve(candidates, region)


@dataclass
class _Candidate:
    rule: RecommendationRule
    code: ReasonCode
    values: dict[str, object]
    base_id: UUID | None = None
    scenario_code: str | None = None


@dataclass
class _Personal:
    resources: Resources
    owner_id: UUID
    applied: set[UUID] = field(default_factory=set)
    profile: Profile | None = None

    async def recommendations(
        self, principal: Principal, region_code: str | None
    ) -> list[Recommendation]:
        today = china_date(self.resources.clock())
        profile = self.profile = await own_profile(self.resources, principal)
        rules = await repo.rules()
        history = await repo.history(
            self.owner_id,
            self.resources.clock() - timedelta(days=HISTORY_DAYS),
            HISTORY_ROWS,
        )
        done = [row for row in history if ApplicationStatus(row["status"]) not in _NOT_DONE]
        self.applied = {UUID(str(row["implementation__base_id"])) for row in history}
        codes = {r.target_code for r in rules if r.target is RecommendationTarget.ITEM}
        codes |= {str(r.params.get("afterItem", "")) for r in rules}
        bases = {b.basic_code: b for b in await repo.base_items_by_codes(sorted(codes))}
        candidates: list[_Candidate] = []
        documents = await self._expiring(rules, today)
        for rule in rules:
            target = bases.get(rule.target_code)
            if rule.kind is RecommendationKind.DOCUMENT_EXPIRING:
                candidates += await self._documents(rule, documents, target, today)
                continue
            candidate = await self._candidate(rule, profile, today, done, bases)
            if candidate is None:
                continue
            if rule.target is RecommendationTarget.SCENARIO:
                candidate.scenario_code = rule.target_code
            elif target is not None and target.id not in self.applied:
                candidate.base_id = target.id
            else:
                continue
            candidates.append(candidate)
        region = (await _region(region_code, profile))[0]
        return await _resolve(candidates, region)

    async def _expiring(self, rules: Sequence[RecommendationRule], today: date) -> list[Document]:
        windows = [
            int(r.params.get("withinDays", DEFAULT_WITHIN_DAYS))
            for r in rules
            if r.kind is RecommendationKind.DOCUMENT_EXPIRING
        ]
        if not windows:
            return []
        return await repo.documents_ending_by(self.owner_id, today + timedelta(days=max(windows)))

    async def _documents(
        self,
        rule: RecommendationRule,
        documents: Sequence[Document],
        target: BaseItem | None,
        today: date,
    ) -> list[_Candidate]:
        kinds = set(rule.params.get("documentKinds") or [])
        within = int(rule.params.get("withinDays", DEFAULT_WITHIN_DAYS))
        mine = [d for d in documents if d.kind.value in kinds and d.valid_until is not None]
        issued: dict[UUID, dict[str, Any]] = {}
        if rule.target is RecommendationTarget.ISSUING_ITEM:
            for row in await repo.issuing_applications([d.id for d in mine]):
                issued[UUID(str(row["result_document_id"]))] = row
        found: list[_Candidate] = []
        for document in mine:
            assert document.valid_until is not None
            days = (document.valid_until - today).days
            if days > within:
                continue
            label = str(rule.params.get("label") or DOCUMENT_LABELS[document.kind.value])
            base_id: UUID | None = target.id if target is not None else None
            if rule.target is RecommendationTarget.ISSUING_ITEM:
                source = issued.get(document.id)
                if source is None or source["implementation__base_id"] is None:
                    continue
                base_id = UUID(str(source["implementation__base_id"]))
                label = str(source["implementation__result_name"] or label)
            if base_id is None:
                continue
            expired = days < 0
            found.append(
                _Candidate(
                    rule,
                    ReasonCode.DOCUMENT_EXPIRED if expired else ReasonCode.DOCUMENT_EXPIRING,
                    {"days": abs(days), "document": label, "expired": expired},
                    base_id=base_id,
                )
            )
        return found

    async def _candidate(
        self,
        rule: RecommendationRule,
        profile: Profile | None,
        today: date,
        done: Sequence[Mapping[str, Any]],
        bases: Mapping[str, BaseItem],
    ) -> _Candidate | None:
        params = rule.params
        if rule.kind is RecommendationKind.AGE:
            if profile is None:
                return None
            age = profile.age_on(today)
            if not int(params.get("minAge", 0)) <= age <= int(params.get("maxAge", 200)):
                return None
            return _Candidate(rule, ReasonCode.AGE, {"age": age})
        if rule.kind is RecommendationKind.REGION:
            prefix = str(params.get("outsidePrefix", ""))
            if profile is None or not prefix or profile.region_code.startswith(prefix):
                return None
            return _Candidate(rule, ReasonCode.REGION, {})
        if rule.kind is RecommendationKind.ORGANISATION:
            kind = str(params.get("documentKind", ""))
            if not kind or not await repo.has_document_of_kind(self.owner_id, kind):
                return None
            return _Candidate(rule, ReasonCode.ORGANISATION, {})
        if rule.kind is RecommendationKind.FOLLOW_UP:
            after = bases.get(str(params.get("afterItem", "")))
            since = today - timedelta(days=int(params.get("withinDays", HISTORY_DAYS)))
            if after is None or not any(
                UUID(str(row["implementation__base_id"])) == after.id
                and china_date(row["submitted_at"]) >= since
                for row in done
            ):
                return None
            return _Candidate(rule, ReasonCode.FOLLOW_UP, {"after": after.name})
        return None


async def _resolve(candidates: Sequence[_Candidate], region: Region | None) -> list[Recommendation]:
    """Targets as services of the region (nearest level above when the region has none) and
    published scenarios; the first reason for each target wins."""
    base_ids = sorted({c.base_id for c in candidates if c.base_id is not None}, key=str)
    bases = await repo.base_items_by_ids(base_ids)
    services = (
        await implementations_for(bases, region, catalogue.today()) if region is not None else {}
    )
    by_id = {b.id: b for b in bases}
    scenario_codes = sorted({c.scenario_code for c in candidates if c.scenario_code})
    scenarios = {s.code: s for s in await repo.published_scenarios_by_codes(scenario_codes)}
    seen: set[str] = set()
    found: list[Recommendation] = []
    for candidate in candidates:
        rule = candidate.rule
        if candidate.base_id is not None:
            item = by_id.get(candidate.base_id)
            key = f"item:{candidate.base_id}"
            if item is None or key in seen:
                continue
            template = (
                str(rule.params.get("expiredReason") or "您的{document}已过期 {days} 天")
                if candidate.values.get("expired")
                else rule.reason
            )
            values = {**candidate.values, "item": item.name}
            found.append(
                Recommendation(
                    candidate.code,
                    _fill(template, values),
                    item=item,
                    # None: no guide for the resident's region (or above): pick a district.
                    service=services.get(item.id),
                    rule=rule.code,
                )
            )
        else:
            scenario = scenarios.get(candidate.scenario_code or "")
            key = f"scenario:{candidate.scenario_code}"
            if scenario is None or key in seen:
                continue
            values = {**candidate.values, "item": scenario.name}
            found.append(
                Recommendation(
                    candidate.code,
                    _fill(rule.reason, values),
                    scenario=scenario,
                    rule=rule.code,
                )
            )
        seen.add(key)
    return found[:MAX_RECOMMENDATIONS]


# -- popular services: aggregate counts, the same answer for everyone


async def popular(
    resources: Resources, district_code: str | None = None
) -> list[tuple[Implementation, int]]:
    """The most-applied services of the last days, in the whole city or in one district (one
    implementation per item: the one applied for most), with their counts; items below the
    minimum count are left out."""
    settings = resources.settings
    key = Keys.popular_in(district_code) if district_code else Keys.POPULAR_SERVICES
    listed: list[list[Any]] | None = None
    try:
        cached = await resources.redis.get(key)
        listed = orjson.loads(cached) if cached else None
    except (RedisError, orjson.JSONDecodeError):
        listed = None
    if listed is None:
        listed = await _count_popular(resources, district_code)
        if settings.recommendation_popular_cache_seconds:
            try:
                await resources.redis.set(
                    key,
                    orjson.dumps(listed).decode(),
                    ex=settings.recommendation_popular_cache_seconds,
                )
            except RedisError:
                log.warning("popular services not cached: Redis unavailable")
    codes = [str(code) for code, _ in listed]
    current = {i.code: i for i in await repo.published_by_codes(codes, catalogue.today())}
    return [(current[code], int(n)) for code, n in listed if code in current]


async def _count_popular(resources: Resources, district_code: str | None) -> list[list[Any]]:
    settings = resources.settings
    since = resources.clock() - timedelta(days=settings.recommendation_popular_days)
    rows = await repo.popular(since, POPULAR_CANDIDATES, district_code)
    implementations = {
        i.id: i
        for i in await repo.implementations_by_ids(
            [UUID(str(r["implementation_id"])) for r in rows]
        )
    }
    per_base: dict[UUID, dict[str, int]] = {}
    for row in rows:
        implementation = implementations.get(UUID(str(row["implementation_id"])))
        if implementation is None:
            continue
        # Every version of one implementation counts for its code.
        codes = per_base.setdefault(implementation.base_id, {})
        codes[implementation.code] = codes.get(implementation.code, 0) + int(row["n"])
    ranked: list[tuple[str, int]] = []
    for codes in per_base.values():
        total = sum(codes.values())
        if total < settings.recommendation_popular_min_applications:
            continue
        ranked.append((min(codes, key=lambda c: (-codes[c], c)), total))
    ranked.sort(key=lambda pair: (-pair[1], pair[0]))
    return [[code, total] for code, total in ranked[:MAX_RECOMMENDATIONS]]
