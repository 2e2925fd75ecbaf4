"""What a scenario's answers lead to: the items (as the region's implementations), one merged
list of materials (a material several items need appears once), the bundle's promised
working days (handled in parallel: the longest, not the sum), its visits, and which
materials the signed-in resident's wallet already holds."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from uuid import UUID

import orjson

from resolvers.applications.service import promised_days
from resolvers.catalogue.service import MAX_MATERIALS
from resolvers.scenarios.conditions import Answer, holds
from resolvers.scenarios.definitions import MAX_ITEMS, Definition, Question, RuleEffect, merge_key
from resolvers.scenarios.errors import ScenarioError
from resolvers.scenarios.errors import ScenarioErrorCode as Code
from resolvers.scenarios.profile import Profile
from storage.models.catalogue import (
    BaseItem,
    Channel,
    Implementation,
    Material,
    MaterialSource,
    Necessity,
    Region,
)
from storage.models.documents import Document
from storage.models.scenarios import QuestionKind, Scenario
from storage.repositories import catalogue as catalogue_repo
from storage.repositories import scenarios as repo

CITY_CODE = "510100"
MAX_ANSWERS = 50
MAX_VALUE_LENGTH = 64
# The merged list holds each item's materials at most once: never more than every item's
# guide asks for together (rules only drop or tighten materials).
MAX_PLAN_MATERIALS = MAX_ITEMS * MAX_MATERIALS
_NUMBER = re.compile(r"-?\d{1,13}(\.\d{1,6})?")
_STRENGTH = {Necessity.OPTIONAL: 0, Necessity.DEFERRABLE: 1, Necessity.REQUIRED: 2}


@dataclass(frozen=True, slots=True)
class RawAnswer:
    question: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TypedAnswers:
    values: dict[str, Answer]
    asked: list[str]  # questions shown for these answers, in declared order
    missing: list[str]  # asked but not answered

    def canonical(self) -> dict[str, object]:
        return {
            code: sorted(value) if isinstance(value, frozenset) else str(value)
            for code, value in sorted(self.values.items())
        }


def typed_answers(
    definition: Definition, raw: Sequence[RawAnswer], *, complete: bool
) -> TypedAnswers:
    """Answers checked against their questions' kinds and against what was asked; with
    `complete`, every question asked must have its answer."""
    if len(raw) > MAX_ANSWERS:
        raise ScenarioError(Code.TOO_MANY_ANSWERS, "answers")
    values: dict[str, Answer] = {}
    where: dict[str, int] = {}
    for index, answer in enumerate(raw):
        question = definition.question(answer.question)
        if question is None:
            raise ScenarioError(Code.UNKNOWN_QUESTION, f"answers[{index}].question")
        if question.code in values:
            raise ScenarioError(Code.DUPLICATE_ANSWER, f"answers[{index}].question")
        values[question.code] = _typed(question, answer.values, f"answers[{index}].values")
        where[question.code] = index
    asked: set[str] = set()
    shown: dict[str, Answer] = {}
    for code in definition.order:
        question = definition.question(code)
        assert question is not None
        if holds(question.asked_when, shown):
            asked.add(code)
            if code in values:
                shown[code] = values[code]
    for code, index in sorted(where.items(), key=lambda pair: pair[1]):
        if code not in asked:
            raise ScenarioError(Code.QUESTION_NOT_ASKED, f"answers[{index}].question")
    in_order = [q.code for q in definition.questions if q.code in asked]
    missing = [code for code in in_order if code not in values]
    if complete and missing:
        raise ScenarioError(Code.ANSWER_REQUIRED, "answers", fields=missing)
    return TypedAnswers(values=shown, asked=in_order, missing=missing)


def _typed(question: Question, values: Sequence[str], field: str) -> Answer:
    if any(not isinstance(v, str) or len(v) > MAX_VALUE_LENGTH for v in values):
        raise ScenarioError(Code.INVALID_ANSWER, field)
    allowed = question.option_values()
    if question.kind is QuestionKind.MULTIPLE_CHOICE:
        if len(set(values)) != len(values) or not set(values) <= set(allowed):
            raise ScenarioError(Code.INVALID_ANSWER, field)
        return frozenset(values)
    if len(values) != 1:
        raise ScenarioError(Code.INVALID_ANSWER, field)
    value = values[0].strip()
    if question.kind is not QuestionKind.NUMBER:
        if value not in allowed:
            raise ScenarioError(Code.INVALID_ANSWER, field)
        return value
    if not _NUMBER.fullmatch(value):
        raise ScenarioError(Code.INVALID_ANSWER, field)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ScenarioError(Code.INVALID_ANSWER, field) from None
    if question.integer and number != number.to_integral_value():
        raise ScenarioError(Code.INVALID_ANSWER, field)
    if (question.minimum is not None and number < question.minimum) or (
        question.maximum is not None and number > question.maximum
    ):
        raise ScenarioError(Code.INVALID_ANSWER, field)
    return number


# -- the region a plan is made for


class RegionSource(StrEnum):
    REQUESTED = "REQUESTED"  # the caller named it
    RESIDENT = "RESIDENT"  # where the signed-in resident's ID number was issued
    CITY = "CITY"  # the city level, when nothing better is known


async def plan_region(
    region_code: str | None, profile: Profile | None
) -> tuple[Region, RegionSource]:
    if region_code is not None:
        found = (
            await catalogue_repo.regions_by_codes([region_code])
            if 0 < len(region_code) <= 12 and region_code.isalnum()
            else []
        )
        if not found or found[0].retired:
            raise ScenarioError(Code.UNKNOWN_REGION, "regionCode")
        return found[0], RegionSource.REQUESTED
    if profile is not None and profile.from_chengdu and profile.region_code != CITY_CODE:
        found = await catalogue_repo.regions_by_codes([profile.region_code])
        if found and not found[0].retired:
            return found[0], RegionSource.RESIDENT
    city = await catalogue_repo.regions_by_codes([CITY_CODE])
    if not city:
        raise ScenarioError(Code.UNKNOWN_REGION, "regionCode")
    return city[0], RegionSource.CITY


async def implementations_for(
    base_items: Sequence[BaseItem], region: Region, today: date
) -> dict[UUID, Implementation]:
    """Each item's published implementation for a region, or the nearest level above."""
    return await repo.nearest_implementations(region, [b.id for b in base_items], today)


# -- the plan


class Provision(StrEnum):
    UPLOAD = "UPLOAD"  # the resident provides it
    WALLET = "WALLET"  # a document of its kind is already in the resident's wallet
    GOVERNMENT = "GOVERNMENT"  # issued by a department: attached or fetched, never asked


@dataclass(slots=True)
class PlannedItem:
    base: BaseItem
    implementation: Implementation | None  # None: not available in the plan's region
    materials: list[Material] = field(default_factory=list)  # after the scenario's rules


@dataclass(slots=True)
class PlannedMaterial:
    key: str
    name: str
    document_kind: str | None
    necessity: Necessity
    source: MaterialSource
    original: bool
    copies: int
    item_codes: list[str]
    provision: Provision = Provision.UPLOAD
    wallet: list[Document] | None = None  # None: nobody is signed in


@dataclass(slots=True)
class Plan:
    scenario: Scenario
    definition: Definition
    region: Region
    region_source: RegionSource
    answers: TypedAnswers
    items: list[PlannedItem]
    materials: list[PlannedMaterial]
    promised_days: int
    separate_promised_days: int
    visits: int
    separate_visits: int
    channels: list[Channel]
    digest: str = ""

    @property
    def available(self) -> list[PlannedItem]:
        return [item for item in self.items if item.implementation is not None]

    @property
    def complete(self) -> bool:
        return not self.answers.missing


async def make_plan(
    scenario: Scenario,
    definition: Definition,
    answers: TypedAnswers,
    region: Region,
    region_source: RegionSource,
    *,
    today: date,
    owner_id: UUID | None,
) -> Plan:
    chosen = [
        item.basic_code
        for item in definition.items
        if item.basic_code is not None and holds(item.when, answers.values)
    ]
    bases = {b.basic_code: b for b in await repo.base_items_by_codes(chosen)}
    ordered = [bases[code] for code in chosen if code in bases]
    implementations = await implementations_for(ordered, region, today)
    rows = await repo.materials_of([i.id for i in implementations.values()])
    by_implementation: dict[UUID, list[Material]] = {}
    for row in rows:
        by_implementation.setdefault(row.implementation_id, []).append(row)
    items: list[PlannedItem] = []
    for base in ordered:
        implementation = implementations.get(base.id)
        materials = by_implementation.get(implementation.id, []) if implementation else []
        items.append(
            PlannedItem(base, implementation, _apply_rules(definition, base, materials, answers))
        )
    merged = _merge(definition, items)
    if owner_id is not None:
        await _look_in_wallet(owner_id, merged)
    available = [item.implementation for item in items if item.implementation is not None]
    days = [promised_days(i) for i in available]
    channels = [
        channel
        for channel in Channel
        if available and all(channel.value in i.channels for i in available)
    ]
    plan = Plan(
        scenario=scenario,
        definition=definition,
        region=region,
        region_source=region_source,
        answers=answers,
        items=items,
        materials=merged,
        promised_days=max(days, default=0),
        separate_promised_days=sum(days),
        visits=max((i.visits for i in available), default=0),
        separate_visits=sum(i.visits for i in available),
        channels=channels,
    )
    plan.digest = _digest(plan)
    return plan


def _apply_rules(
    definition: Definition, base: BaseItem, materials: list[Material], answers: TypedAnswers
) -> list[Material]:
    """The guide's materials as this scenario asks for them: an optional one REQUIREd by a
    rule becomes required; an optional one a rule OMITs is not asked for. Rules never waive a
    material the guide requires."""
    effects: dict[str, RuleEffect] = {}
    for rule in definition.rules:
        if rule.item == base.basic_code and holds(rule.when, answers.values):
            effects.setdefault(rule.material, rule.effect)
    result: list[Material] = []
    for material in materials:
        effect = effects.get(material.name)
        if material.necessity is Necessity.OPTIONAL and effect is RuleEffect.OMIT:
            continue
        if material.necessity is Necessity.OPTIONAL and effect is RuleEffect.REQUIRE:
            material = _copy(material, Necessity.REQUIRED)
        result.append(material)
    return result


def _copy(material: Material, necessity: Necessity) -> Material:
    # An unsaved copy: the guide's row itself is never changed by a scenario.
    return Material(
        id=material.id,
        implementation_id=material.implementation_id,
        position=material.position,
        name=material.name,
        necessity=necessity,
        source=material.source,
        document_kind=material.document_kind,
        issuing_item_code=material.issuing_item_code,
        original=material.original,
        copies=material.copies,
        note=material.note,
    )


def _merge(definition: Definition, items: Sequence[PlannedItem]) -> list[PlannedMaterial]:
    key_of = merge_key(definition)
    group_names = {
        (group.document_kind, match): group.name
        for group in definition.groups
        for match in group.matches
    }
    merged: dict[str, PlannedMaterial] = {}
    for item in items:
        for material in item.materials:
            key = key_of(material.name, material.document_kind)
            found = merged.get(key)
            if found is None:
                merged[key] = PlannedMaterial(
                    key=key,
                    name=group_names.get((material.document_kind or "", material.name))
                    or material.name,
                    document_kind=material.document_kind,
                    necessity=material.necessity,
                    source=material.source,
                    original=material.original,
                    copies=material.copies,
                    item_codes=[item.base.basic_code],
                )
                continue
            if _STRENGTH[material.necessity] > _STRENGTH[found.necessity]:
                found.necessity = material.necessity
            if material.source is MaterialSource.APPLICANT:
                found.source = MaterialSource.APPLICANT  # someone needs it from the resident
            found.original = found.original or material.original
            found.copies = max(found.copies, material.copies)
            if item.base.basic_code not in found.item_codes:
                found.item_codes.append(item.base.basic_code)
    for planned in merged.values():
        if planned.source is MaterialSource.GOVERNMENT:
            planned.provision = Provision.GOVERNMENT
    return list(merged.values())


async def _look_in_wallet(owner_id: UUID, materials: Sequence[PlannedMaterial]) -> None:
    kinds = sorted({m.document_kind for m in materials if m.document_kind})
    wallet: dict[str, list[Document]] = {}
    for document in await repo.wallet_documents(owner_id, kinds):
        wallet.setdefault(document.kind.value, []).append(document)
    for material in materials:
        material.wallet = list(wallet.get(material.document_kind or "", []))
        if material.wallet and material.provision is Provision.UPLOAD:
            material.provision = Provision.WALLET


def _digest(plan: Plan) -> str:
    """Changes whenever what would be submitted changes: the scenario version, the region,
    the answers, the guides' versions and the merged materials."""
    canonical = orjson.dumps(
        {
            "scenario": [plan.scenario.code, plan.scenario.version],
            "region": plan.region.code,
            "answers": plan.answers.canonical(),
            "items": [
                [item.base.basic_code, item.implementation.code, item.implementation.version]
                if item.implementation
                else [item.base.basic_code, None, None]
                for item in plan.items
            ],
            "materials": [[m.key, m.necessity.value, m.source.value] for m in plan.materials],
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()
