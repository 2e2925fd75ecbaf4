"""Changing the catalogue: base items, implementation drafts, publication, articles.

Who may (resolvers/policy.py): base items are the province's standard, so only ADMIN edits
them; an implementation or an article is written by ADMIN, or by staff of its own department
for that department's region and below; an article of no department is the platform's (ADMIN).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from resolvers import policy
from resolvers.catalogue.drafts import (
    ArticleData,
    BaseItemData,
    ImplementationData,
    Problems,
    fee_text,
)
from resolvers.catalogue.errors import CatalogueError, CatalogueErrorCode
from resolvers.catalogue.rules import (
    divergence_violations,
    divergences,
    guide_violations,
    implementation_code,
)
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.cache import RedisError, bump_catalogue_version
from storage.models.catalogue import (
    Article,
    BaseItem,
    Department,
    Implementation,
    Material,
    PublicationStatus,
    Region,
    ServiceObject,
)
from storage.repositories import catalogue as repo
from storage.transactions import IntegrityError, atomic

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _written_by(department_id: UUID | None, region_id: UUID | None) -> policy.Subject:
    """A guide or an article as the policy sees it: the department it belongs to and the
    region it applies in."""
    return policy.Subject(department_id=department_id, region_id=region_id)


def _raise_if(problems: Problems) -> None:
    if problems.items:
        first = problems.items[0]
        raise CatalogueError(
            CatalogueErrorCode.INVALID_INPUT, first.field, violations=problems.items
        )


async def catalogue_changed(resources: Resources) -> None:
    """After a commit residents can see: cached answers and search indexes become stale."""
    resources.response_cache.forget_local()
    try:
        await bump_catalogue_version(resources.redis)
    except RedisError:
        # Caches expire on their own within minutes; the change itself is committed.
        log.warning("catalogue version not bumped: Redis unavailable")
    resources.reference.forget_version()
    resources.guides.forget()


# -- base items


async def upsert_base_item(
    resources: Resources, principal: Principal, data: BaseItemData
) -> BaseItem:
    await policy.authorize(resources, principal, policy.Action.BASE_ITEM_UPSERT)
    problems = Problems()
    data.validate(problems)
    _raise_if(problems)
    fields = base_item_fields(data)
    async with atomic():
        item = await repo.base_item_for_update(data.basic_code)
        if item is None:
            try:
                item = await repo.create_base_item(data.basic_code, **fields)
            except IntegrityError:
                raise CatalogueError(CatalogueErrorCode.CONFLICT, "basicCode") from None
        else:
            await repo.update_base_item(item, **fields)
            # Filters read these from the implementations: keep every version in step.
            await repo.update_implementations_of_base(item.id, **_denormalised(item))
    await catalogue_changed(resources)
    return item


def base_item_fields(data: BaseItemData) -> dict[str, Any]:
    return {
        "name": data.name,
        "kind": data.kind,
        "item_type": data.item_type,
        "legal_basis": data.legal_basis,
        "steps": [step.as_json() for step in data.steps],
        "audiences": sorted({int(a) for a in data.audiences}),
        "keywords": data.keywords,
    }


def _denormalised(base: BaseItem) -> dict[str, Any]:
    audiences = set(base.audiences)
    return {
        "kind": base.kind,
        "item_type": base.item_type,
        "for_persons": ServiceObject.PERSON in audiences,
        "for_organisations": bool(audiences - {ServiceObject.PERSON}),
    }


# -- implementations


@dataclass(frozen=True, slots=True)
class Resolved:
    base: BaseItem
    region: Region
    department: Department


async def resolve_references(data: ImplementationData) -> Resolved:
    bases = await repo.base_items_by_codes([data.base_code])
    if not bases:
        raise CatalogueError(CatalogueErrorCode.UNKNOWN_BASE_ITEM, "baseCode")
    regions = await repo.regions_by_codes([data.region_code])
    if not regions:
        raise CatalogueError(CatalogueErrorCode.UNKNOWN_REGION, "regionCode")
    departments = await repo.departments_by_codes(
        [data.department_code, *data.cooperating_departments]
    )
    known = {d.code: d for d in departments}
    if data.department_code not in known:
        raise CatalogueError(CatalogueErrorCode.UNKNOWN_DEPARTMENT, "departmentCode")
    for index, code in enumerate(data.cooperating_departments):
        if code not in known:
            raise CatalogueError(
                CatalogueErrorCode.UNKNOWN_DEPARTMENT, f"cooperatingDepartments[{index}]"
            )
    return Resolved(bases[0], regions[0], known[data.department_code])


def implementation_fields(data: ImplementationData, refs: Resolved) -> dict[str, Any]:
    base = refs.base
    return {
        "base_id": base.id,
        "region_id": refs.region.id,
        "department_id": refs.department.id,
        **_denormalised(base),
        # What is not given is inherited from the base item: 三级四同 by default.
        "name": data.name if data.name is not None else base.name,
        "legal_basis": data.legal_basis if data.legal_basis is not None else base.legal_basis,
        "steps": [s.as_json() for s in data.steps] if data.steps is not None else base.steps,
        "divergence_justification": data.divergence_justification,
        "conditions": data.conditions,
        "statutory_days": data.statutory_days,
        "promised_days": data.promised_days,
        "handling_type": data.handling_type,
        **_fees(data),
        "visits": data.visits,
        "visit_reason": data.visit_reason,
        "online_depth": data.online_depth,
        "channels": [c.value for c in data.channels],
        "scope": data.scope,
        "address": data.address,
        "hours": data.hours,
        "phone": data.phone,
        "complaint_phone": data.complaint_phone,
        "result_name": data.result_name,
        "result_sample": data.result_sample,
        "faqs": [{"question": f.question, "answer": f.answer} for f in data.faqs],
        "form_schema": data.form_schema,
        "cooperating_departments": data.cooperating_departments,
        "valid_from": data.valid_from,
        "valid_until": data.valid_until,
    }


def _fees(data: ImplementationData) -> dict[str, Any]:
    """Structured fee items, when given, also write the text fields older clients read."""
    if data.fee_items is None:
        return {"fee": data.fee, "fee_basis": data.fee_basis, "fee_items": []}
    items = [item.as_json() for item in data.fee_items]
    bases = "；".join(dict.fromkeys(item["legalBasis"] for item in items))
    return {"fee": fee_text(items), "fee_basis": data.fee_basis or bases, "fee_items": items}


def material_rows(
    implementation_id: UUID,
    data: ImplementationData,
    files: dict[str, Material] | None = None,
) -> list[Material]:
    """The guide's materials in order; `files`: the previous version's materials by name,
    whose attached blank form and sample a material of the same name keeps."""
    kept = files or {}
    return [
        Material(
            implementation_id=implementation_id,
            position=index,
            name=m.name,
            necessity=m.necessity,
            source=m.source,
            document_kind=m.document_kind,
            issuing_item_code=m.issuing_item_code,
            original=m.original,
            copies=m.copies,
            note=m.note,
            blank_form=kept[m.name].blank_form if m.name in kept else None,
            sample=kept[m.name].sample if m.name in kept else None,
        )
        for index, m in enumerate(data.materials)
    ]


async def _attached_files(versions: list[Implementation]) -> dict[str, Material]:
    """The newest version's materials by name (their files carry over into the draft)."""
    if not versions:
        return {}
    return {m.name: m for m in await repo.materials_of([versions[0].id])}


async def upsert_implementation(
    resources: Resources, principal: Principal, data: ImplementationData
) -> Implementation:
    """Writes the draft version of an implementation: the published version stays live
    for residents until the draft is published."""
    problems = Problems()
    data.validate(problems)
    _raise_if(problems)
    refs = await resolve_references(data)
    await policy.authorize(
        resources,
        principal,
        policy.Action.IMPLEMENTATION_UPSERT,
        _written_by(refs.department.id, refs.region.id),
        field="regionCode",
    )
    code = implementation_code(refs.base.basic_code, refs.region.code, refs.department.code)
    fields = implementation_fields(data, refs)
    try:
        async with atomic():
            versions = await repo.versions_for_update(code)
            draft = next((v for v in versions if v.status is PublicationStatus.DRAFT), None)
            files = await _attached_files(versions)
            if draft is None:
                version = (versions[0].version + 1) if versions else 1
                draft = await repo.create_implementation(code, version, **fields)
                await repo.add_materials(material_rows(draft.id, data, files))
            else:
                await repo.update_implementation(draft, **fields)
                await repo.replace_materials(draft.id, material_rows(draft.id, data, files))
    except IntegrityError:
        # Two first drafts of the same new implementation at once: one wins.
        raise CatalogueError(CatalogueErrorCode.CONFLICT) from None
    return draft


async def publish_implementation(
    resources: Resources, principal: Principal, code: str, justification: str | None
) -> Implementation:
    """Runs the guide checks and 三级四同 on the draft, then makes it the live version."""
    if not 0 < len(code) <= 96:
        raise CatalogueError(CatalogueErrorCode.NOT_FOUND, "code")
    async with atomic():
        versions = await repo.versions_for_update(code)
        draft = next((v for v in versions if v.status is PublicationStatus.DRAFT), None)
        if draft is None:
            raise CatalogueError(
                CatalogueErrorCode.NOTHING_TO_PUBLISH if versions else CatalogueErrorCode.NOT_FOUND,
                "code",
            )
        await policy.authorize(
            resources,
            principal,
            policy.Action.IMPLEMENTATION_PUBLISH,
            _written_by(draft.department_id, draft.region_id),
            field="code",
        )
        if justification is not None:
            problems = Problems()
            draft.divergence_justification = problems.text(
                "justification", justification, longest=1000, required=False
            )
            _raise_if(problems)
        materials = await repo.materials_of([draft.id])
        violations = guide_violations(draft, materials)
        if violations:
            raise CatalogueError(
                CatalogueErrorCode.GUIDE_CHECK_FAILED, violations[0].field, violations=violations
            )
        base = await repo.base_item(draft.base_id)
        found = divergences(draft, base)
        if found and not draft.divergence_justification.strip():
            raise CatalogueError(
                CatalogueErrorCode.DIVERGENCE_NEEDS_JUSTIFICATION,
                "justification",
                violations=divergence_violations(found, base),
            )
        await repo.publish_version(draft, _now())
    await catalogue_changed(resources)
    return draft


# -- articles


def _article(
    department_id: UUID | None, region_id: UUID | None, department: Department | None
) -> policy.Subject:
    """An article applies in its region, else in its department's."""
    return _written_by(department_id, region_id or (department.region_id if department else None))


async def upsert_article(
    resources: Resources, principal: Principal, article_id: UUID | None, data: ArticleData
) -> Article:
    problems = Problems()
    data.validate(problems)
    _raise_if(problems)
    region_id = department = None
    if data.region_code is not None:
        regions = await repo.regions_by_codes([data.region_code])
        if not regions:
            raise CatalogueError(CatalogueErrorCode.UNKNOWN_REGION, "regionCode")
        region_id = regions[0].id
    if data.department_code is not None:
        departments = await repo.departments_by_codes([data.department_code])
        if not departments:
            raise CatalogueError(CatalogueErrorCode.UNKNOWN_DEPARTMENT, "departmentCode")
        department = departments[0]
    # The article as it will be: an article of no department is the platform's (ADMIN).
    await policy.authorize(
        resources,
        principal,
        policy.Action.ARTICLE_UPSERT,
        _article(department.id if department else None, region_id, department),
        field="departmentCode",
    )
    fields: dict[str, Any] = {
        "kind": data.kind,
        "title": data.title,
        "body": data.body,
        "issuer": data.issuer,
        "issued_on": data.issued_on,
        "region_id": region_id,
        "department_id": department.id if department else None,
        "published": data.published,
    }
    async with atomic():
        if article_id is None:
            article = await repo.create_article(**fields)
        else:
            found = await repo.article_for_update(article_id)
            if found is None:
                raise CatalogueError(CatalogueErrorCode.NOT_FOUND, "id")
            # And as it was: nobody takes over an article that is not theirs to change (a
            # platform article, another department's), whatever they move it to.
            previous = (
                await resources.reference.department(found.department_id)
                if found.department_id
                else None
            )
            await policy.authorize(
                resources,
                principal,
                policy.Action.ARTICLE_UPSERT,
                _article(found.department_id, found.region_id, previous),
                field="id",
            )
            article = await repo.update_article(found, **fields)
        await repo.replace_article_items(article.id, data.item_codes)
    await catalogue_changed(resources)
    return article
