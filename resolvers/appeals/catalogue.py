"""The 12345 centre (and ADMIN) edit the dispatch catalogue (派单目录) and the dispatch table.

Every edit runs in one transaction that first takes the catalogue's next version (a locked
counter row: edits happen one at a time), checks the catalogue stays within what the API
serves, writes the row with that version, the change (before and after) and an audit row.
An edit that changes nothing is rolled back whole: no version is spent on it. Categories
are never deleted (appeals reference them): a retired one is neither shown nor chosen, and
a retired group hides its leaves. The seed file only fills an empty database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from resolvers import inputs, policy
from resolvers.appeals.dispatch import (
    MAX_CATEGORY_KEYWORDS,
    catalogue_problems,
    category_keywords,
)
from resolvers.appeals.errors import AppealError
from resolvers.appeals.errors import AppealErrorCode as Code
from resolvers.appeals.transitions import acting
from resolvers.catalogue.service import catalogue_changed
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.appeals import (
    AppealCatalogueAction,
    AppealCatalogueChange,
    AppealCategory,
    AppealRoute,
)
from storage.repositories import appeals as repo
from storage.repositories.pagination import Page, Scalar
from storage.transactions import atomic

# Codes as the seed has them: two characters for a group, the group's code and more for
# its leaves; letters are upper case.
CODE = re.compile(r"[0-9A-Z]{2,16}")
MAX_NAME = 32
MAX_DESCRIPTION = 200
MAX_KEYWORD = 16
MAX_KEYWORDS_TEXT = 200  # the stored, comma-separated column


@dataclass(frozen=True, slots=True)
class CategoryEdit:
    code: str
    name: str
    parent_code: str | None = None  # None: a group
    description: str = ""
    keywords: Sequence[str] | None = None  # None: unchanged (none for a new category)
    active: bool = True


@dataclass(frozen=True, slots=True)
class RouteChange:
    """A row of the dispatch table as an edit left it (department None: removed)."""

    category: AppealCategory
    region_id: UUID
    department_id: UUID | None
    version: int


class _Unchanged(Exception):
    """Raised inside the edit's transaction so that the version it took is given back."""

    def __init__(self, found: Any) -> None:
        self.found = found


def _code(raw: str | None, field: str) -> str:
    code = (raw or "").strip().upper()
    if not CODE.fullmatch(code):
        raise AppealError(Code.INVALID_INPUT, field)
    return code


def _text(raw: str | None, field: str, longest: int, *, required: bool = False) -> str:
    return inputs.clean_text(
        raw,
        field,
        error=AppealError,
        invalid=Code.INVALID_INPUT,
        longest=longest,
        required=Code.INVALID_INPUT if required else None,
        printable=True,
    )


def _keywords(raw: Sequence[str] | None) -> str | None:
    if raw is None:
        return None
    if len(raw) > MAX_CATEGORY_KEYWORDS:
        raise AppealError(Code.INVALID_INPUT, "keywords")
    words: list[str] = []
    for word in raw:
        text = _text(word, "keywords", MAX_KEYWORD, required=True)
        if "," in text or "，" in text:
            raise AppealError(Code.INVALID_INPUT, "keywords")
        if text not in words:
            words.append(text)
    joined = ",".join(words)
    if len(joined) > MAX_KEYWORDS_TEXT:
        raise AppealError(Code.INVALID_INPUT, "keywords")
    return joined


def snapshot(category: AppealCategory, parent_code: str | None) -> dict[str, Any]:
    """What an edit may change of a category, as the change log keeps it."""
    return {
        "code": category.code,
        "parentCode": parent_code,
        "name": category.name,
        "description": category.description,
        "keywords": category_keywords(category.keywords),
        "active": category.active,
    }


async def _check_size() -> None:
    problems = catalogue_problems(await repo.categories())
    if problems:
        raise AppealError(Code.CATALOGUE_TOO_LARGE, "parentCode")


async def upsert_category(
    resources: Resources, principal: Principal, edit: CategoryEdit, *, request_id: str
) -> AppealCategory:
    """Creates a group (no parent) or a leaf of a group, or changes one's name, description,
    keywords and whether it is active. A category stays in its group."""
    await policy.authorize(resources, principal, policy.Action.APPEAL_CATEGORY_UPSERT)
    actor_id = acting(principal)
    code = _code(edit.code, "code")
    parent_code = _code(edit.parent_code, "parentCode") if edit.parent_code else None
    if parent_code is not None and (not code.startswith(parent_code) or code == parent_code):
        raise AppealError(Code.INVALID_INPUT, "code")  # a leaf's code extends its group's
    name = _text(edit.name, "name", MAX_NAME, required=True)
    description = _text(edit.description, "description", MAX_DESCRIPTION)
    keywords = _keywords(edit.keywords)
    now = resources.clock()
    try:
        async with atomic():
            version = await repo.next_catalogue_version()
            parent = await repo.category_by_code(parent_code) if parent_code else None
            if parent_code is not None and (parent is None or parent.parent_id is not None):
                raise AppealError(Code.CATEGORY_NOT_FOUND, "parentCode")
            parent_id = parent.id if parent is not None else None
            existing = await repo.category_by_code(code)
            if existing is None:
                before = None
                category = await repo.add_category(
                    code=code,
                    name=name,
                    description=description,
                    keywords=keywords or "",
                    parent_id=parent_id,
                    position=await repo.next_position(parent_id),
                    active=edit.active,
                    version=version,
                )
                await _check_size()
            else:
                if existing.parent_id != parent_id:
                    raise AppealError(Code.INVALID_INPUT, "parentCode")
                before = snapshot(existing, parent_code)
                existing.name, existing.description = name, description
                existing.keywords = keywords if keywords is not None else existing.keywords
                existing.active = edit.active
                if snapshot(existing, parent_code) == before:
                    raise _Unchanged(existing)
                existing.version = version
                await repo.update_category(
                    existing.id,
                    name=name,
                    description=description,
                    keywords=existing.keywords,
                    active=edit.active,
                    version=version,
                )
                category = existing
            await repo.record_catalogue_change(
                version=version,
                at=now,
                actor_id=actor_id,
                action=AppealCatalogueAction.CATEGORY_UPSERTED,
                subject=code,
                before=before,
                after=snapshot(category, parent_code),
                request_id=request_id,
            )
    except _Unchanged as unchanged:
        found: AppealCategory = unchanged.found
        return found
    await catalogue_changed(resources)  # appealCategories is cached whole for anonymous callers
    return category


async def retire_category(
    resources: Resources, principal: Principal, code: str, *, request_id: str
) -> AppealCategory:
    """A category leaves the catalogue for good (its row stays: appeals reference it). A
    retired group takes its leaves out of the catalogue with it."""
    await policy.authorize(resources, principal, policy.Action.APPEAL_CATEGORY_RETIRE)
    actor_id = acting(principal)
    wanted = _code(code, "code")
    now = resources.clock()
    async with atomic():
        version = await repo.next_catalogue_version()
        category = await repo.category_by_code(wanted)
        if category is None:
            raise AppealError(Code.CATEGORY_NOT_FOUND, "code")
        if not category.active:
            raise AppealError(Code.CATEGORY_RETIRED, "code")
        parent = (
            (await repo.categories_by_ids([category.parent_id]))[0] if category.parent_id else None
        )
        parent_code = parent.code if parent is not None else None
        before = snapshot(category, parent_code)
        category.active, category.version = False, version
        await repo.update_category(category.id, active=False, version=version)
        await repo.record_catalogue_change(
            version=version,
            at=now,
            actor_id=actor_id,
            action=AppealCatalogueAction.CATEGORY_RETIRED,
            subject=category.code,
            before=before,
            after=snapshot(category, parent_code),
            request_id=request_id,
        )
    await catalogue_changed(resources)
    return category


async def _route_subject(category_code: str, region_code: str) -> tuple[AppealCategory, UUID]:
    category = await repo.category_by_code(_code(category_code, "categoryCode"))
    if category is None:
        raise AppealError(Code.CATEGORY_NOT_FOUND, "categoryCode")
    code = (region_code or "").strip()
    region = await repo.region_by_code(code) if 0 < len(code) <= 12 else None
    if region is None or region.retired:
        raise AppealError(Code.REGION_NOT_FOUND, "regionCode")
    return category, region.id


async def set_route(
    resources: Resources,
    principal: Principal,
    category_code: str,
    region_code: str,
    department_code: str,
    *,
    request_id: str,
) -> RouteChange:
    """The dispatch table sends the category (a leaf, or every leaf of a group) in the
    region (and below, unless a row nearer says otherwise) to the department."""
    await policy.authorize(resources, principal, policy.Action.APPEAL_ROUTE_SET)
    actor_id = acting(principal)
    wanted = (department_code or "").strip().upper()
    now = resources.clock()
    try:
        async with atomic():
            version = await repo.next_catalogue_version()
            category, region_id = await _route_subject(category_code, region_code)
            if not category.active:
                raise AppealError(Code.CATEGORY_RETIRED, "categoryCode")
            department = await repo.department_by_code(wanted) if 0 < len(wanted) <= 18 else None
            if department is None:
                raise AppealError(Code.DEPARTMENT_NOT_FOUND, "departmentCode")
            existing = await repo.route_of(category.id, region_id)
            if existing is not None and existing.department_id == department.id:
                raise _Unchanged(RouteChange(category, region_id, department.id, existing.version))
            subject = f"{category.code}@{region_code.strip()}"
            before = None
            if existing is not None:
                previous = await resources.reference.department(existing.department_id)
                before = {"departmentCode": previous.code if previous else None}
            await repo.put_route(category.id, region_id, department.id, version)
            await repo.record_catalogue_change(
                version=version,
                at=now,
                actor_id=actor_id,
                action=AppealCatalogueAction.ROUTE_SET,
                subject=subject,
                before=before,
                after={"departmentCode": department.code},
                request_id=request_id,
            )
    except _Unchanged as unchanged:
        same: RouteChange = unchanged.found
        return same
    await catalogue_changed(resources)  # filings dispatch by the table held in memory
    return RouteChange(category, region_id, department.id, version)


async def remove_route(
    resources: Resources,
    principal: Principal,
    category_code: str,
    region_code: str,
    *,
    request_id: str,
) -> RouteChange:
    """The table no longer names a department for the category in the region: such
    appeals go to the row above, or wait in the centre's queue."""
    await policy.authorize(resources, principal, policy.Action.APPEAL_ROUTE_REMOVE)
    actor_id = acting(principal)
    now = resources.clock()
    async with atomic():
        version = await repo.next_catalogue_version()
        category, region_id = await _route_subject(category_code, region_code)
        existing = await repo.route_of(category.id, region_id)
        if existing is None:
            raise AppealError(Code.ROUTE_NOT_FOUND, "regionCode")
        previous = await resources.reference.department(existing.department_id)
        await repo.delete_route(existing.id)
        await repo.record_catalogue_change(
            version=version,
            at=now,
            actor_id=actor_id,
            action=AppealCatalogueAction.ROUTE_REMOVED,
            subject=f"{category.code}@{region_code.strip()}",
            before={"departmentCode": previous.code if previous else None},
            after=None,
            request_id=request_id,
        )
    await catalogue_changed(resources)
    return RouteChange(category, region_id, None, version)


# -- reading the table and its history (the 12345 centre, ADMIN)


async def dispatch_rules(
    resources: Resources,
    principal: Principal,
    *,
    category_code: str | None,
    first: int,
    after: Sequence[Scalar] | None,
) -> Page[AppealRoute]:
    """The rows of the dispatch table, the ones changed last first; `category_code`: the
    rows of that category (a group: also of its leaves). Raises ValueError for a cursor of
    another list, AppealError for an unknown category."""
    await policy.authorize(resources, principal, policy.Action.APPEAL_DISPATCH_TABLE_READ)
    cursor = repo.typed_cursor(after, [int, UUID])
    category_ids: list[UUID] | None = None
    if category_code is not None:
        category = await repo.category_by_code(_code(category_code, "categoryCode"))
        if category is None:
            raise AppealError(Code.CATEGORY_NOT_FOUND, "categoryCode")
        children = await repo.category_children([category.id])
        category_ids = [category.id, *(c.id for c in children)]
    return await repo.route_page(category_ids=category_ids, first=first, after=cursor)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One edit of the catalogue or the table, with who made it (a staff member's name as
    their account shows it, and their department)."""

    change: AppealCatalogueChange
    actor_name: str | None
    actor_department_id: UUID | None


async def dispatch_history(
    resources: Resources, principal: Principal, *, first: int, after: Sequence[Scalar] | None
) -> tuple[Page[AppealCatalogueChange], list[HistoryEntry]]:
    """Every version of the dispatch catalogue and table, newest first: two queries a page.
    Raises ValueError for a cursor of another list."""
    await policy.authorize(resources, principal, policy.Action.APPEAL_DISPATCH_TABLE_READ)
    cursor = repo.typed_cursor(after, [int, UUID])
    page = await repo.catalogue_change_page(first=first, after=cursor)
    actors = {
        a.id: a
        for a in await repo.accounts_by_ids(
            list({row.actor_id for row in page.rows if row.actor_id is not None})
        )
    }
    entries = []
    for row in page.rows:
        actor = actors.get(row.actor_id) if row.actor_id is not None else None
        entries.append(
            HistoryEntry(
                change=row,
                actor_name=(actor.display_name or actor.username) if actor else None,
                actor_department_id=actor.department_id if actor else None,
            )
        )
    return page, entries
