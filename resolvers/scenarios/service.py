"""Themes and scenario bundles (一件事一次办): reading them, editing and publishing versioned
definitions, plans for a resident's answers, and submitting a bundle: one parent and one
application per item, in one transaction under one idempotency key."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from resolvers import policy
from resolvers.applications import service as applications
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as AppCode
from resolvers.applications.service import StatusChange, publish
from resolvers.calendar.service import china_date
from resolvers.catalogue import service as catalogue
from resolvers.catalogue.service import BASIC_CODE, Problems, catalogue_changed
from resolvers.principal import Principal
from resolvers.resources import Resources
from resolvers.scenarios import bundles

# Shared with providers, whose social services join a bundle's plan by the same conditions.
from resolvers.scenarios.conditions import Answer as Answer
from resolvers.scenarios.conditions import holds as holds
from resolvers.scenarios.definitions import (
    AUDIENCES,
    SCENARIO_CODE,
    THEME_CODE,
    References,
    check_references,
    digest_of,
    merge_key,
    read,
    stored,
)
from resolvers.scenarios.definitions import Definition as Definition
from resolvers.scenarios.errors import ScenarioError
from resolvers.scenarios.errors import ScenarioErrorCode as Code
from resolvers.scenarios.plan import (
    Plan,
    RawAnswer,
    make_plan,
    plan_region,
    typed_answers,
)
from resolvers.scenarios.profile import own_profile
from storage.models.accounts import Role
from storage.models.applications import ActorKind, Application, ApplicationStatus, EventType
from storage.models.catalogue import Channel, PublicationStatus
from storage.models.documents import Document
from storage.models.scenarios import Scenario, Theme
from storage.repositories import applications as application_repo
from storage.repositories import scenarios as repo
from storage.repositories.pagination import Page, Scalar
from storage.transactions import IntegrityError, atomic

log = logging.getLogger(__name__)

SUBMIT_SCOPE = "submitScenario"
MAX_KEYWORD = 20
MAX_THEME_ITEMS = 200


def plausible_code(code: str) -> bool:
    return bool(SCENARIO_CODE.fullmatch(code))


# -- themes


async def themes(audience: str | None, limit: int) -> list[Theme]:
    return await repo.themes(audience, limit)


async def theme(code: str) -> Theme | None:
    if not THEME_CODE.fullmatch(code):
        return None
    found = await repo.themes_by_codes([code])
    return found[0] if found else None


@dataclass
class ThemeData:
    code: str
    name: str
    audience: str
    description: str = ""
    position: int = 0
    item_codes: Sequence[str] = ()


async def upsert_theme(resources: Resources, principal: Principal, data: ThemeData) -> Theme:
    """ADMIN: creates or changes a theme and the items listed under it (in this order)."""
    await policy.authorize(resources, principal, policy.Action.THEME_UPSERT)
    problems = Problems()
    if not THEME_CODE.fullmatch(data.code):
        problems.add("code", "主题编码须为大写字母和下划线，2-32 位。")
    name = problems.text("name", data.name, longest=32)
    description = problems.text("description", data.description, longest=500, required=False)
    if data.audience not in AUDIENCES:
        problems.add("audience", "须为 PERSON 或 ORGANISATION。")
    problems.number("position", data.position, low=0, high=10_000)
    codes = list(data.item_codes)
    if len(codes) > MAX_THEME_ITEMS:
        problems.add("itemCodes", f"至多 {MAX_THEME_ITEMS} 个事项。", "TOO_MANY")
        codes = []
    known = {b.basic_code for b in await repo.base_items_by_codes(codes)}
    for index, code in enumerate(codes):
        if not BASIC_CODE.fullmatch(code) or code not in known:
            problems.add(f"itemCodes[{index}]", "找不到该基本目录事项。", "UNKNOWN_BASE_ITEM")
        elif code in codes[:index]:
            problems.add(f"itemCodes[{index}]", "事项重复。", "DUPLICATE")
    if problems.items:
        first = problems.items[0]
        raise ScenarioError(Code.INVALID_INPUT, first.field, violations=problems.items)
    fields: dict[str, Any] = {
        "name": name,
        "audience": data.audience,
        "description": description,
        "position": data.position,
    }
    try:
        async with atomic():
            found = await repo.lock_theme(data.code)
            if found is None:
                found = await repo.create_theme(code=data.code, **fields)
            else:
                await repo.update_theme(found.id, **fields)
            await repo.replace_theme_items(found.id, codes)
    except IntegrityError:  # created by someone else at the same moment
        raise ScenarioError(Code.CONFLICT, "code") from None
    await catalogue_changed(resources)
    saved = await theme(data.code)
    assert saved is not None
    return saved


# -- scenario definitions


async def published(code: str) -> Scenario | None:
    if not plausible_code(code):
        return None
    return await repo.published_scenario(code)


async def scenarios(
    *,
    audience: str | None,
    theme_id: UUID | None,
    keyword: str | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[Scenario]:
    """A page of published scenarios, optionally of one audience, under one theme or matching
    a keyword. Raises ValueError for a cursor of another list."""
    return await repo.scenario_page(
        audience=audience, theme_id=theme_id, keyword=keyword, first=first, after=after
    )


def definition_of(scenario: Scenario) -> Definition:
    return stored(scenario.definition, scenario.digest)


async def _require_editor(
    resources: Resources,
    principal: Principal,
    action: policy.Action,
    department_ids: Sequence[UUID | None],
) -> None:
    """The policy's answer for each lead department (牵头部门) the change touches: the one
    before and the one after, so that nobody hands a scenario to another department."""
    for department_id in department_ids:
        await policy.authorize(
            resources, principal, action, policy.Subject(department_id=department_id)
        )


async def _validated(raw: Any) -> tuple[Definition, References]:
    definition, violations = read(raw)
    if definition is None:
        raise ScenarioError(Code.INVALID_DEFINITION, violations[0].field, violations=violations)
    references, violations = await check_references(definition)
    if references is None:
        raise ScenarioError(Code.INVALID_DEFINITION, violations[0].field, violations=violations)
    return definition, references


async def upsert_scenario(
    resources: Resources, principal: Principal, code: str, raw: Any
) -> Scenario:
    """Writes the draft version of a scenario (a new version when the latest is published);
    the published one stays live until `publishScenario`."""
    if not plausible_code(code):
        raise ScenarioError(Code.INVALID_INPUT, "code")
    definition, references = await _validated(raw)
    latest = await repo.latest_version(code)
    # Staff edit only their own department's scenarios, and cannot hand one to another.
    lead = [references.department_id] + ([latest.lead_department_id] if latest else [])
    await _require_editor(resources, principal, policy.Action.SCENARIO_UPSERT, lead)
    return await save_draft(code, raw, definition, references, principal.account_id)


async def save_draft(
    code: str, raw: Any, definition: Definition, references: References, actor_id: UUID | None
) -> Scenario:
    fields = {
        "name": definition.name,
        "summary": definition.summary,
        "audience": definition.audience,
        "position": definition.position,
        "lead_department_id": references.department_id,
        "definition": raw,
        "digest": digest_of(raw),
        "edited_by_id": actor_id,
    }
    try:
        async with atomic():
            versions = await repo.versions_for_update(code)
            draft = next((v for v in versions if v.status is PublicationStatus.DRAFT), None)
            if draft is None:
                version = versions[0].version + 1 if versions else 1
                draft = await repo.create_version(code=code, version=version, **fields)
            else:
                await repo.update_version(draft.id, **fields)
            await repo.replace_links(draft.id, definition.basic_codes, references.theme_ids)
    except IntegrityError:  # the first version, created twice at the same moment
        raise ScenarioError(Code.CONFLICT, "code") from None
    saved = await repo.scenarios_by_ids([draft.id])
    return saved[0]


async def create_published(
    code: str, raw: Any, definition: Definition, references: References, now: datetime
) -> None:
    """Seeds: a scenario's first version, published at once, checked as staff's would be
    (`definition` and `references` come from `read` and `check_references`)."""
    async with atomic():
        scenario = await repo.create_version(
            code=code,
            version=1,
            status=PublicationStatus.PUBLISHED,
            published_at=now,
            name=definition.name,
            summary=definition.summary,
            audience=definition.audience,
            position=definition.position,
            lead_department_id=references.department_id,
            definition=raw,
            digest=digest_of(raw),
        )
        await repo.add_links(scenario.id, definition.basic_codes, references.theme_ids)


async def publish_scenario(resources: Resources, principal: Principal, code: str) -> Scenario:
    """Checks the draft again (the catalogue may have changed since it was saved) and
    publishes it; the version it replaces is archived. Plans and submissions use it from now."""
    if not plausible_code(code):
        raise ScenarioError(Code.NOT_FOUND, "code")
    latest = await repo.latest_version(code)
    if latest is None:
        raise ScenarioError(Code.NOT_FOUND, "code")
    await _require_editor(
        resources, principal, policy.Action.SCENARIO_PUBLISH, [latest.lead_department_id]
    )
    live = await publish_draft(code, resources.clock())
    await catalogue_changed(resources)
    return live


async def publish_draft(code: str, now: datetime) -> Scenario:
    async with atomic():
        versions = await repo.versions_for_update(code)
        draft = next((v for v in versions if v.status is PublicationStatus.DRAFT), None)
        if draft is None:
            raise ScenarioError(Code.NOTHING_TO_PUBLISH, "code")
        await _validated(draft.definition)
        for version in versions:
            if version.status is PublicationStatus.PUBLISHED:
                await repo.archive(version.id)
        if not await repo.publish(draft.id, now):
            raise ScenarioError(Code.CONFLICT, "code")
    found = await repo.scenarios_by_ids([draft.id])
    return found[0]


# -- plans


async def plan(
    resources: Resources,
    principal: Principal,
    code: str,
    answers: Sequence[RawAnswer],
    region_code: str | None,
    *,
    complete: bool = False,
) -> Plan | None:
    """The plan the answers lead to, or None for an unknown scenario. The wallet is looked
    into only for the signed-in resident asking, and the region defaults to theirs."""
    scenario = await published(code)
    if scenario is None:
        return None
    definition = definition_of(scenario)
    typed = typed_answers(definition, answers, complete=complete)
    profile = await own_profile(resources, principal) if region_code is None else None
    region, source = await plan_region(region_code, profile)
    resident = principal.account_id if Role.RESIDENT in principal.roles else None
    return await make_plan(
        scenario,
        definition,
        typed,
        region,
        source,
        today=catalogue.today(),
        owner_id=resident,
    )


# -- submitting a bundle


def _request_hash(
    code: str,
    answers: Sequence[RawAnswer],
    region_code: str | None,
    form: Any,
    document_ids: Sequence[str],
    channel: Channel,
) -> str:
    canonical = orjson.dumps(
        {
            "scenario": code,
            "answers": sorted([a.question, sorted(a.values)] for a in answers),
            "region": region_code,
            "form": form,
            "documents": sorted(document_ids),
            "channel": channel.value,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical).hexdigest()


def _translated(error: ApplicationError, field: str | None = None) -> ScenarioError:
    """The applications domain's verdict, in this mutation's terms."""
    try:
        code = Code(error.code.value)
    except ValueError:
        code = Code.INVALID_INPUT
    return ScenarioError(code, field or error.field, fields=error.fields)


_MATERIAL_FIELD = re.compile(r"materials\[(\d+)\]")


async def submit(
    resources: Resources,
    principal: Principal,
    *,
    code: str,
    answers: Sequence[RawAnswer],
    region_code: str | None,
    form: Any,
    document_ids: Sequence[str],
    channel: Channel,
    idempotency_key: str | None,
    plan_digest: str | None,
) -> Application:
    """One parent application for the bundle and one per item, all SUBMITTED together and
    handled in parallel by each item's department. Every check runs before anything is
    written; a retry with the same key and input returns the same parent."""
    settings = resources.settings
    await policy.authorize(resources, principal, policy.Action.SCENARIO_SUBMIT)
    assert principal.account_id is not None
    owner_id = principal.account_id
    try:
        key = applications.clean_key(idempotency_key)
    except ApplicationError as error:
        raise _translated(error) from None
    digest = _request_hash(code, answers, region_code, form, document_ids, channel)
    if key is not None:
        replay = await _replay(owner_id, key, digest)
        if replay is not None:
            return replay
    try:
        await applications.require_real_name(owner_id)
        applications.require_self_service(channel)
    except ApplicationError as error:
        raise _translated(error) from None

    found = await plan(resources, principal, code, answers, region_code, complete=True)
    if found is None:
        raise ScenarioError(Code.NOT_FOUND, "scenarioCode")
    if plan_digest is not None and plan_digest != found.digest:
        raise ScenarioError(Code.PLAN_CHANGED, "planDigest")
    if not found.items:
        raise ScenarioError(Code.NOTHING_TO_SUBMIT, "answers")
    missing = [item.base.name for item in found.items if item.implementation is None]
    if missing:
        raise ScenarioError(Code.ITEM_UNAVAILABLE, "regionCode", detail="、".join(missing))
    for item in found.available:
        assert item.implementation is not None
        if channel.value not in item.implementation.channels:
            raise ScenarioError(Code.CHANNEL_NOT_ALLOWED, "channel", detail=item.base.name)

    forms = _forms(resources, found, form)
    try:
        documents = await applications.chosen_documents(
            owner_id, document_ids, settings.application_max_documents
        )
    except ApplicationError as error:
        raise _translated(error) from None
    materials = await _match_documents(owner_id, found, documents)

    now = resources.clock()
    due = await applications.acceptance_due(
        china_date(now), settings.application_acceptance_days, 0
    )
    answers_text = orjson.dumps(found.answers.canonical(), option=orjson.OPT_SORT_KEYS).decode()
    children: list[Application] = []
    # The bundle's number, then one per item in the order they are written.
    numbers = await applications.reserve_numbers(now, 1 + len(found.available))
    try:
        async with atomic():
            if key is not None and await application_repo.idempotency(owner_id, SUBMIT_SCOPE, key):
                raise applications.Replayed()
            parent = await repo.create_parent(
                number=numbers[0],
                owner_id=owner_id,
                region_id=found.region.id,
                status=ApplicationStatus.SUBMITTED,
                channel=channel,
                submitted_at=now,
            )
            for item, item_materials, form_text, number in zip(
                found.available, materials, forms, numbers[1:], strict=True
            ):
                assert item.implementation is not None
                children.append(
                    await applications.create_submitted(
                        resources,
                        owner_id=owner_id,
                        implementation=item.implementation,
                        channel=channel,
                        form_text=form_text,
                        plan=item_materials,
                        now=now,
                        acceptance_due=due,
                        number=number,
                        parent_id=parent.id,
                    )
                )
            await repo.create_submission(
                application_id=parent.id,
                scenario_id=found.scenario.id,
                region_id=found.region.id,
                answers_sealed=resources.keyring.seal(answers_text, context="scenario.answers"),
                plan_digest=found.digest,
            )
            if key is not None:
                await applications.remember_key(owner_id, SUBMIT_SCOPE, key, digest, parent.id)
            await repo.add_event(
                parent.id,
                EventType.SUBMITTED,
                ApplicationStatus.SUBMITTED,
                at=now,
                actor_id=owner_id,
                actor_kind=ActorKind.RESIDENT,
            )
            name = found.scenario.name
            await bundles.notify(
                parent,
                ApplicationStatus.SUBMITTED,
                name,
                at=now,
                title="一件事已提交",
                body=(
                    f"您申请的“{name}”（{parent.number}）已提交，共 {len(children)} 个事项，"
                    "由各部门并行办理，全部办结后通知您。"
                ),
            )
    except (IntegrityError, applications.Replayed):
        # Another request with the same key committed first: answer as it did.
        if key is None:
            raise
        replay = await _replay(owner_id, key, digest)
        if replay is None:
            raise
        return replay
    for application in [parent, *children]:
        await publish(
            resources,
            StatusChange(application.id, EventType.SUBMITTED, ApplicationStatus.SUBMITTED, now),
        )
    return parent


async def _replay(owner_id: UUID, key: str, digest: str) -> Application | None:
    try:
        return await applications.replayed(owner_id, SUBMIT_SCOPE, key, digest)
    except ApplicationError as error:
        raise _translated(error) from None


async def _match_documents(
    owner_id: UUID, found: Plan, documents: Sequence[Document]
) -> list[applications.Plan]:
    """Each document goes to the first material of its kind in the merged list that still
    takes one (a material takes as many as one item asks for under it: both parents' ID
    cards), and from there to every item that needs that material."""
    key_of = merge_key(found.definition)
    keys = [[key_of(m.name, m.document_kind) for m in item.materials] for item in found.available]
    slots: dict[str, int] = {}
    for item_keys in keys:
        for key, count in Counter(item_keys).items():
            slots[key] = max(slots.get(key, 0), count)
    given: dict[str, list[Document]] = {m.key: [] for m in found.materials}
    for index, document in enumerate(documents):
        target = next(
            (
                m
                for m in found.materials
                if m.document_kind == document.kind.value and len(given[m.key]) < slots[m.key]
            ),
            None,
        )
        if target is None:
            raise ScenarioError(Code.DOCUMENT_NOT_REQUESTED, f"documentIds[{index}]")
        given[target.key].append(document)
    merged = [m.key for m in found.materials]
    plans: list[applications.Plan] = []
    for item, item_keys in zip(found.available, keys, strict=True):
        seen: Counter[str] = Counter()
        assigned: dict[int, Document] = {}
        for index, key in enumerate(item_keys):
            if seen[key] < len(given[key]):
                assigned[index] = given[key][seen[key]]
            seen[key] += 1
        try:
            plans.append(
                await applications.plan_materials(owner_id, item.materials, [], assigned=assigned)
            )
        except ApplicationError as error:
            matches = [_MATERIAL_FIELD.fullmatch(field) for field in error.fields]
            if error.code is AppCode.MATERIAL_MISSING and matches and all(matches):
                # Every missing one, as entries of the merged list the resident sees.
                positions = sorted(
                    {merged.index(item_keys[int(m.group(1))]) for m in matches if m is not None}
                )
                raise ScenarioError(
                    Code.MATERIAL_MISSING,
                    f"materials[{positions[0]}]",
                    fields=[f"materials[{position}]" for position in positions],
                    detail=found.materials[positions[0]].name,
                ) from None
            raise _translated(error) from None
    return plans


def _forms(resources: Resources, found: Plan, form: Any) -> list[str]:
    """Each item's form, from `form.<basic code>`, checked against its guide's schema; every
    failing field of every item is named."""
    if form is None:
        form = {}
    if not isinstance(form, dict):
        raise ScenarioError(Code.INVALID_FORM, "form")
    codes = {item.base.basic_code for item in found.available}
    unknown = sorted(k for k in form if k not in codes)
    if unknown:
        raise ScenarioError(Code.INVALID_FORM, f"form.{unknown[0]}")
    texts: list[str] = []
    fields: list[str] = []
    failure: ApplicationError | None = None
    for item in found.available:
        assert item.implementation is not None
        code = item.base.basic_code
        try:
            texts.append(
                applications.check_form(
                    resources,
                    form.get(code),
                    item.implementation.form_schema,
                    prefix=f"form.{code}",
                )
            )
        except ApplicationError as error:
            failure = failure or error
            fields.extend(error.fields)
    if failure is not None:
        translated = _translated(failure)
        raise ScenarioError(
            translated.code, fields[0] if fields else translated.field, fields=fields
        )
    return texts
