"""Queries on applications, their tasks, timeline, materials, ratings and rectifications (the
only place they are written). Row scoping lives in `readable_by`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q, Subquery
from tortoise.functions import Avg, Count

from storage import counters
from storage.models.accounts import Account
from storage.models.applications import (
    OPEN_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    ApplicationStatus,
    ApplicationTask,
    EventType,
    IdempotencyRecord,
    MaterialState,
    Rating,
    Rectification,
    RectificationStatus,
    TaskStatus,
)
from storage.models.catalogue import BaseItem, Department, Implementation, Material
from storage.models.documents import Document, DocumentStatus, TrustLevel
from storage.repositories.pagination import Page, Scalar, keyset_page
from storage.repositories.readers import Reader

MY_ORDER = ("-submitted_at",)


# -- scoping


def handled_by_department(department_id: UUID) -> Q:
    """Applications a department handles: it is the single window, or it holds a task."""
    tasks = ApplicationTask.filter(department_id=department_id).values("application_id")
    return Q(department_id=department_id) | Q(id__in=Subquery(tasks))


def readable_by(reader: Reader) -> Q | None:
    """The owner, and staff of the departments handling the application; None: nothing."""
    if reader.account_id is None:
        return None
    scope = Q(owner_id=reader.account_id)
    if reader.is_staff and reader.department_id is not None:
        scope = Q(scope, handled_by_department(reader.department_id), join_type="OR")
    return scope


async def readable(reader: Reader, ids: Sequence[UUID]) -> list[Application]:
    scope = readable_by(reader)
    if scope is None or not ids:
        return []
    return await Application.filter(scope, id__in=list(ids))


async def readable_one(reader: Reader, application_id: UUID) -> Application | None:
    rows = await readable(reader, [application_id])
    return rows[0] if rows else None


# -- reads


async def by_id(application_id: UUID) -> Application | None:
    return await Application.get_or_none(id=application_id)


async def by_ids(ids: Sequence[UUID]) -> list[Application]:
    return await Application.filter(id__in=list(ids))


async def page_of_owner(
    owner_id: UUID, *, status: ApplicationStatus | None, first: int, after: list[Any] | None
) -> Page[Application]:
    query = Application.filter(owner_id=owner_id)
    if status is not None:
        query = query.filter(status=status)
    return await keyset_page(query, order=MY_ORDER, first=first, after=after)


def typed_cursor(after: Sequence[Scalar] | None, kinds: Sequence[type]) -> list[Any] | None:
    """Cursor values back to their column types; ValueError for a cursor of another list."""
    if after is None:
        return None
    if len(after) != len(kinds):
        raise ValueError("cursor does not fit this list")
    values: list[Any] = []
    for value, kind in zip(after, kinds, strict=True):
        if value is None:
            values.append(None)
        elif kind is datetime and isinstance(value, str):
            values.append(datetime.fromisoformat(value))
        elif kind is date and isinstance(value, str):
            values.append(date.fromisoformat(value))
        elif kind is UUID and isinstance(value, str):
            values.append(UUID(value))
        else:
            raise ValueError("cursor does not fit this list")
    return values


async def tasks_of(application_ids: Sequence[UUID]) -> list[ApplicationTask]:
    return await ApplicationTask.filter(application_id__in=list(application_ids)).order_by(
        "-lead", "created_at", "id"
    )


async def events_of(application_ids: Sequence[UUID]) -> list[ApplicationEvent]:
    return await ApplicationEvent.filter(application_id__in=list(application_ids)).order_by("seq")


async def item_events_of(
    parent_ids: Sequence[UUID], types: Sequence[EventType]
) -> list[ApplicationEvent]:
    """The events of `types` on the items of the bundles `parent_ids`, each with its item
    (`event.application`) read in the same statement."""
    return (
        await ApplicationEvent.filter(
            application__parent_id__in=list(parent_ids), type__in=list(types)
        )
        .select_related("application")
        .order_by("seq")
    )


async def materials_of(application_ids: Sequence[UUID]) -> list[ApplicationMaterial]:
    return await ApplicationMaterial.filter(application_id__in=list(application_ids)).order_by(
        "position"
    )


async def ratings_of(application_ids: Sequence[UUID]) -> list[Rating]:
    return await Rating.filter(application_id__in=list(application_ids))


async def documents_by_ids(ids: Sequence[UUID]) -> list[Document]:
    return await Document.filter(id__in=list(ids))


async def implementation_materials(implementation_id: UUID) -> list[Material]:
    return await Material.filter(implementation_id=implementation_id).order_by("position")


async def implementations_by_ids(ids: Sequence[UUID]) -> list[Implementation]:
    return await Implementation.filter(id__in=list(ids))


async def implementation(implementation_id: UUID | None) -> Implementation | None:
    if implementation_id is None:  # a scenario bundle's parent
        return None
    return await Implementation.get_or_none(id=implementation_id)


async def wallet_documents(owner_id: UUID, kinds: Sequence[str]) -> list[Document]:
    """The owner's available documents of these kinds, the most trusted and newest first."""
    if not kinds:
        return []
    rows = await Document.filter(
        owner_id=owner_id, status=DocumentStatus.AVAILABLE, kind__in=list(kinds)
    ).order_by("-created_at")
    rank = {TrustLevel.A: 0, TrustLevel.B: 1, TrustLevel.C: 2, TrustLevel.D: 3}
    return sorted(rows, key=lambda d: rank[d.trust_level])


async def idempotency(principal_id: UUID, scope: str, key: str) -> IdempotencyRecord | None:
    return await IdempotencyRecord.get_or_none(principal_id=principal_id, scope=scope, key=key)


async def task(task_id: UUID) -> ApplicationTask | None:
    return await ApplicationTask.get_or_none(id=task_id)


async def account(account_id: UUID) -> Account | None:
    return await Account.get_or_none(id=account_id)


async def base_item(base_id: UUID) -> BaseItem:
    return await BaseItem.get(id=base_id)


async def departments_by_codes(codes: Sequence[str], *, excluding: UUID | None) -> list[Department]:
    return await Department.filter(code__in=list(codes)).exclude(id=excluding)


async def rectification(rectification_id: UUID) -> Rectification:
    return await Rectification.get(id=rectification_id)


async def is_rated(application_id: UUID) -> bool:
    return await Rating.exists(application_id=application_id)


async def child_ids(parent_id: UUID, limit: int) -> list[UUID]:
    """A bundle's first `limit` applications by number: the order they were submitted in."""
    ids = (
        await Application.filter(parent_id=parent_id)
        .order_by("number")
        .limit(limit)
        .values_list("id", flat=True)
    )
    return [UUID(str(i)) for i in ids]


async def children_statuses(parent_id: UUID) -> list[tuple[UUID, ApplicationStatus]]:
    rows = await Application.filter(parent_id=parent_id).values("id", "status")
    return [(UUID(str(row["id"])), ApplicationStatus(row["status"])) for row in rows]


# -- documents' hooks


async def document_in_open_application(document_id: UUID) -> bool:
    return await ApplicationMaterial.filter(
        document_id=document_id, application__status__in=list(OPEN_STATUSES)
    ).exists()


def documents_handled_by(department_id: UUID) -> Subquery:
    """Ids of documents used by applications the department handles."""
    applications = Application.filter(handled_by_department(department_id)).values("id")
    return Subquery(
        ApplicationMaterial.filter(
            application_id__in=Subquery(applications), document_id__isnull=False
        ).values("document_id")
    )


async def application_number_using(document_id: UUID, department_id: UUID) -> str | None:
    applications = Application.filter(handled_by_department(department_id)).values("id")
    rows = (
        await ApplicationMaterial.filter(
            document_id=document_id, application_id__in=Subquery(applications)
        )
        .order_by("-application__submitted_at")
        .limit(1)
        .values_list("application__number", flat=True)
    )
    return str(rows[0]) if rows else None


# -- writes (inside the service's transaction)


async def create(**fields: Any) -> Application:
    return await Application.create(**fields)


async def add_materials(rows: Sequence[Mapping[str, Any]]) -> None:
    """An application's materials in one statement, however many its service asks for."""
    if rows:
        await ApplicationMaterial.bulk_create([ApplicationMaterial(**fields) for fields in rows])


async def add_task(**fields: Any) -> ApplicationTask:
    return await ApplicationTask.create(**fields)


async def add_event(**fields: Any) -> ApplicationEvent:
    return await ApplicationEvent.create(**fields)


async def remember_key(**fields: Any) -> IdempotencyRecord:
    return await IdempotencyRecord.create(**fields)


async def add_rating(**fields: Any) -> Rating:
    return await Rating.create(**fields)


async def add_rectification(**fields: Any) -> Rectification:
    return await Rectification.create(**fields)


async def owe_material(material_id: UUID) -> None:
    """补正 asks for the material again: the document given for it no longer counts."""
    await ApplicationMaterial.filter(id=material_id).update(
        state=MaterialState.OWED, document_id=None
    )


async def delete_document(document_id: UUID) -> None:
    """A result document the transition that was to issue it did not keep."""
    await Document.filter(id=document_id).delete()


async def reserve_numbers(day: date, count: int = 1) -> int:
    """The first of `count` consecutive application numbers of the day. Called before the
    submission's transaction (see storage.counters): the day's row is never held by it."""
    return await counters.reserve("application_counter", day, count)


async def lock(application_id: UUID) -> Application | None:
    return await Application.filter(id=application_id).select_for_update().first()


async def lock_task(task_id: UUID) -> ApplicationTask | None:
    return await ApplicationTask.filter(id=task_id).select_for_update().first()


async def move(application_id: UUID, *, expected: ApplicationStatus, **changes: Any) -> bool:
    """Changes the status only if it is still `expected`: the row lock makes this certain on
    PostgreSQL; the condition keeps it so wherever row locks are missing."""
    updated = await Application.filter(id=application_id, status=expected).update(**changes)
    return updated == 1


async def update(application_id: UUID, **changes: Any) -> None:
    await Application.filter(id=application_id).update(**changes)


async def finish_task(task_id: UUID, **changes: Any) -> bool:
    updated = await ApplicationTask.filter(id=task_id, status=TaskStatus.PENDING).update(**changes)
    return updated == 1


async def cancel_pending_tasks(application_id: UUID) -> None:
    await ApplicationTask.filter(application_id=application_id, status=TaskStatus.PENDING).update(
        status=TaskStatus.CANCELLED
    )


async def pending_tasks(application_id: UUID) -> list[ApplicationTask]:
    return await ApplicationTask.filter(application_id=application_id, status=TaskStatus.PENDING)


async def set_task_due(task_id: UUID, due: date | None) -> None:
    await ApplicationTask.filter(id=task_id).update(due_date=due)


async def owed_materials(application_id: UUID) -> list[ApplicationMaterial]:
    return await ApplicationMaterial.filter(
        application_id=application_id, state=MaterialState.OWED
    ).order_by("position")


async def attach_document(material_id: UUID, document_id: UUID, state: Any) -> None:
    await ApplicationMaterial.filter(id=material_id).update(document_id=document_id, state=state)


# -- staff lists


async def work_items(
    department_id: UUID, *, first: int, after: list[Any] | None
) -> Page[ApplicationTask]:
    """Pending tasks of the department, soonest due first (no due date last)."""
    query = ApplicationTask.filter(department_id=department_id, status=TaskStatus.PENDING)
    return await keyset_page(query, order=("due_date", "created_at"), first=first, after=after)


async def awaiting_acceptance(department_id: UUID, limit: int) -> list[Application]:
    return (
        await Application.filter(department_id=department_id, status=ApplicationStatus.SUBMITTED)
        .order_by("acceptance_due_date", "submitted_at", "id")
        .limit(limit)
    )


async def overdue(
    *, today: date, region_ids: Sequence[UUID] | None, first: int, after: list[Any] | None
) -> Page[Application]:
    query = Application.filter(
        Q(status=ApplicationStatus.ACCEPTED, due_date__lt=today)
        | Q(status=ApplicationStatus.SUBMITTED, acceptance_due_date__lt=today)
    )
    if region_ids is not None:
        query = query.filter(region_id__in=list(region_ids))
    return await keyset_page(query, order=("submitted_at",), first=first, after=after)


async def open_accepted(limit: int, after_id: UUID | None) -> list[Application]:
    # A bundle's parent has no deadline of its own: its children have theirs.
    query = Application.filter(
        status__in=[ApplicationStatus.ACCEPTED, ApplicationStatus.SUBMITTED],
        implementation_id__isnull=False,
    )
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return await query.order_by("id").limit(limit)


async def mark_once(application_id: UUID, field: str, now: datetime) -> bool:
    """Sets warned_at / overdue_at if unset: the scanner escalates each breach exactly once."""
    updated = await Application.filter(id=application_id, **{f"{field}__isnull": True}).update(
        **{field: now}
    )
    return updated == 1


# -- ratings


async def rating_stats(*, by: str, department_id: UUID | None) -> list[dict[str, Any]]:
    query = Rating.all()
    if department_id is not None:
        query = query.filter(department_id=department_id)
    return list(
        await query.annotate(n=Count("id"), average=Avg("score"))
        .group_by(by, "level")
        .values(by, "level", "n", "average")
    )


async def rectifications(
    department_id: UUID, *, status: RectificationStatus | None, limit: int
) -> list[Rectification]:
    query = Rectification.filter(department_id=department_id)
    if status is not None:
        query = query.filter(status=status)
    return await query.order_by("due_date", "created_at").limit(limit)


async def lock_rectification(rectification_id: UUID) -> Rectification | None:
    return await Rectification.filter(id=rectification_id).select_for_update().first()


async def revisit(rectification_id: UUID, **changes: Any) -> bool:
    updated = await Rectification.filter(
        id=rectification_id, status=RectificationStatus.OPEN
    ).update(status=RectificationStatus.REVISITED, **changes)
    return updated == 1
