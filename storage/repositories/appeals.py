"""Queries on appeals, the dispatch catalogue and table, timelines, replies, ratings,
supervision, revisits and Open311 clients (the only place they are written). Row scoping
lives in `readable_by`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from storage import counters
from storage.models.accounts import Account, AuditEvent
from storage.models.appeals import (
    FINAL_STATUSES,
    HANDLING_STATUSES,
    RELEASED_PHOTOS,
    Appeal,
    AppealCatalogueAction,
    AppealCatalogueChange,
    AppealCatalogueVersion,
    AppealCategory,
    AppealEvent,
    AppealPhoto,
    AppealRating,
    AppealReply,
    AppealRevisit,
    AppealRoute,
    AppealStatus,
    AppealSupervision,
    ExtensionStatus,
    HoldReason,
    Open311Client,
    PhotoCheck,
    RevisitStatus,
    Satisfaction,
)
from storage.models.catalogue import Department, Region, RegionLevel, ServiceCentre
from storage.models.documents import Document, DocumentStatus
from storage.repositories import appeal_stats
from storage.repositories.pagination import Page, Scalar, keyset_page
from storage.repositories.readers import Reader

MY_ORDER = ("-submitted_at",)


# -- scoping


def readable_by(reader: Reader, *, supervisor: bool) -> Q | None:
    """The resident who filed it; staff of the department it is with; the 12345 centre's
    staff and ADMIN (`supervisor`), who dispatch, moderate and supervise every appeal."""
    if reader.account_id is None:
        return None
    scope = Q(owner_id=reader.account_id)
    if reader.is_staff and supervisor:
        return Q()
    if reader.is_staff and reader.department_id is not None:
        scope = Q(scope, Q(department_id=reader.department_id), join_type="OR")
    return scope


async def readable(reader: Reader, ids: Sequence[UUID], *, supervisor: bool) -> list[Appeal]:
    scope = readable_by(reader, supervisor=supervisor)
    if scope is None or not ids:
        return []
    return await Appeal.filter(scope, id__in=list(ids))


# -- the catalogue and the dispatch table


async def categories() -> list[AppealCategory]:
    return await AppealCategory.all().order_by("position", "code")


async def categories_by_ids(ids: Sequence[UUID]) -> list[AppealCategory]:
    return await AppealCategory.filter(id__in=list(ids))


async def categories_by_codes(codes: Sequence[str]) -> list[AppealCategory]:
    return await AppealCategory.filter(code__in=list(codes))


async def category_children(parent_ids: Sequence[UUID]) -> list[AppealCategory]:
    return await AppealCategory.filter(parent_id__in=list(parent_ids)).order_by("position", "code")


async def is_leaf(category_id: UUID) -> bool:
    return not await AppealCategory.filter(parent_id=category_id).exists()


async def routes(category_ids: Sequence[UUID], region_ids: Sequence[UUID]) -> list[AppealRoute]:
    return await AppealRoute.filter(
        category_id__in=list(category_ids), region_id__in=list(region_ids)
    )


async def all_routes() -> list[AppealRoute]:
    """The whole dispatch table (a few hundred rows: categories by districts and streets)."""
    return await AppealRoute.all()


# -- editing the dispatch catalogue and table (the 12345 centre, ADMIN)

CATALOGUE_COUNTER = "dispatch"


async def next_catalogue_version() -> int:
    """Inside a transaction: the catalogue's next version. The counter row stays locked
    until commit, so edits of the catalogue and the table happen one at a time."""
    await AppealCatalogueVersion.get_or_create(name=CATALOGUE_COUNTER)
    await AppealCatalogueVersion.filter(name=CATALOGUE_COUNTER).update(version=F("version") + 1)
    row = await AppealCatalogueVersion.filter(name=CATALOGUE_COUNTER).select_for_update().first()
    assert row is not None
    return row.version


async def category_by_code(code: str) -> AppealCategory | None:
    return await AppealCategory.get_or_none(code=code)


async def next_position(parent_id: UUID | None) -> int:
    """Where a new category goes among its siblings: after the last."""
    last = await AppealCategory.filter(parent_id=parent_id).order_by("-position").first()
    return last.position + 1 if last is not None else 0


async def add_category(**fields: Any) -> AppealCategory:
    return await AppealCategory.create(**fields)


async def update_category(category_id: UUID, **fields: Any) -> None:
    await AppealCategory.filter(id=category_id).update(**fields)


async def route_of(category_id: UUID, region_id: UUID) -> AppealRoute | None:
    return await AppealRoute.get_or_none(category_id=category_id, region_id=region_id)


async def put_route(
    category_id: UUID, region_id: UUID, department_id: UUID, version: int
) -> AppealRoute:
    """The table's row for the category in the region, created or pointed elsewhere."""
    route = await AppealRoute.get_or_none(category_id=category_id, region_id=region_id)
    if route is None:
        return await AppealRoute.create(
            category_id=category_id,
            region_id=region_id,
            department_id=department_id,
            version=version,
        )
    await AppealRoute.filter(id=route.id).update(department_id=department_id, version=version)
    route.department_id, route.version = department_id, version
    return route


async def delete_route(route_id: UUID) -> None:
    await AppealRoute.filter(id=route_id).delete()


async def record_catalogue_change(
    *,
    version: int,
    at: datetime,
    actor_id: UUID,
    action: AppealCatalogueAction,
    subject: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str,
) -> None:
    """The change with its version, and its row in the audit trail (who, when, what)."""
    await AppealCatalogueChange.create(
        version=version,
        at=at,
        actor_id=actor_id,
        action=action,
        subject=subject,
        before=before,
        after=after,
    )
    await AuditEvent.create(
        actor_id=actor_id,
        action=f"appeal_catalogue.{action.value.lower()}",
        success=True,
        detail=f"version {version}: {subject}",
        request_id=request_id,
    )


async def route_page(
    *, category_ids: Sequence[UUID] | None, first: int, after: list[Any] | None
) -> Page[AppealRoute]:
    """The dispatch table as it stands, the rows changed last first."""
    query = AppealRoute.all()
    if category_ids is not None:
        query = query.filter(category_id__in=list(category_ids))
    return await keyset_page(query, order=("-version",), first=first, after=after)


async def catalogue_change_page(
    *, first: int, after: list[Any] | None
) -> Page[AppealCatalogueChange]:
    """Every edit of the dispatch catalogue and table, newest version first."""
    return await keyset_page(
        AppealCatalogueChange.all(), order=("-version",), first=first, after=after
    )


async def region_by_code(code: str) -> Region | None:
    return await Region.get_or_none(code=code)


async def regions_by_ids(ids: Iterable[UUID]) -> list[Region]:
    return await Region.filter(id__in=list(ids))


async def county_regions() -> list[Region]:
    return await Region.filter(
        level__in=[RegionLevel.COUNTY, RegionLevel.ZONE], retired=False
    ).order_by("code")


async def department_by_code(code: str) -> Department | None:
    return await Department.get_or_none(code=code)


async def department_by_id(department_id: UUID) -> Department | None:
    return await Department.get_or_none(id=department_id)


async def departments_by_ids(ids: Iterable[UUID]) -> list[Department]:
    return await Department.filter(id__in=list(ids))


async def centres_in_box(
    south: float, west: float, north: float, east: float, *, limit: int
) -> list[ServiceCentre]:
    return await ServiceCentre.filter(
        latitude__gte=south, latitude__lte=north, longitude__gte=west, longitude__lte=east
    ).limit(limit)


# -- reads


async def by_id(appeal_id: UUID) -> Appeal | None:
    return await Appeal.get_or_none(id=appeal_id)


async def by_ids(ids: Sequence[UUID]) -> list[Appeal]:
    return await Appeal.filter(id__in=list(ids))


async def by_number(number: str) -> Appeal | None:
    return await Appeal.get_or_none(number=number)


async def page_of_owner(
    owner_id: UUID, *, status: AppealStatus | None, first: int, after: list[Any] | None
) -> Page[Appeal]:
    query = Appeal.filter(owner_id=owner_id)
    if status is not None:
        query = query.filter(status=status)
    return await keyset_page(query, order=MY_ORDER, first=first, after=after)


async def events_of(appeal_ids: Sequence[UUID]) -> list[AppealEvent]:
    return await AppealEvent.filter(appeal_id__in=list(appeal_ids)).order_by("seq")


async def replies_of(appeal_ids: Sequence[UUID]) -> list[AppealReply]:
    return await AppealReply.filter(appeal_id__in=list(appeal_ids)).order_by("round", "created_at")


async def ratings_of(appeal_ids: Sequence[UUID]) -> list[AppealRating]:
    return await AppealRating.filter(appeal_id__in=list(appeal_ids)).order_by("round")


async def photos_of(appeal_ids: Sequence[UUID]) -> list[AppealPhoto]:
    return await AppealPhoto.filter(appeal_id__in=list(appeal_ids)).order_by("position")


async def revisits_of(appeal_ids: Sequence[UUID]) -> list[AppealRevisit]:
    return await AppealRevisit.filter(appeal_id__in=list(appeal_ids)).order_by("round")


async def merged_into(master_ids: Sequence[UUID]) -> list[Appeal]:
    return await Appeal.filter(merged_into_id__in=list(master_ids)).order_by("submitted_at")


async def documents_by_ids(ids: Sequence[UUID]) -> list[Document]:
    return await Document.filter(id__in=list(ids))


async def account(account_id: UUID) -> Account | None:
    return await Account.get_or_none(id=account_id)


async def region(region_id: UUID) -> Region:
    return await Region.get(id=region_id)


async def accounts_by_ids(ids: Sequence[UUID]) -> list[Account]:
    return await Account.filter(id__in=list(ids))


async def last_rating(appeal_id: UUID, round: int) -> AppealRating | None:
    return await AppealRating.get_or_none(appeal_id=appeal_id, round=round)


# -- documents' hooks


async def document_in_open_appeal(document_id: UUID) -> bool:
    """A photo removed by the image check no longer belongs to the appeal."""
    return (
        await AppealPhoto.filter(document_id=document_id)
        .exclude(appeal__status__in=list(FINAL_STATUSES))
        .exclude(check_status=PhotoCheck.RISKY)
        .exists()
    )


def documents_handled_by(department_id: UUID) -> Subquery:
    """Ids of the released photos of appeals the department has (held ones are not theirs
    to see until the image check or a moderator releases them)."""
    return Subquery(
        AppealPhoto.filter(
            appeal__department_id=department_id, check_status__in=list(RELEASED_PHOTOS)
        ).values("document_id")
    )


async def appeal_number_using(document_id: UUID, department_id: UUID) -> str | None:
    rows = await AppealPhoto.filter(
        document_id=document_id,
        appeal__department_id=department_id,
        check_status__in=list(RELEASED_PHOTOS),
    ).values_list("appeal__number", flat=True)
    return str(rows[0]) if rows else None


# -- the image check of photos


async def photo_by_id(photo_id: UUID) -> AppealPhoto | None:
    return await AppealPhoto.get_or_none(id=photo_id)


async def photo_by_trace(trace_id: str) -> AppealPhoto | None:
    return await AppealPhoto.get_or_none(check_trace_id=trace_id)


async def photos_with_check(appeal_id: UUID, status: PhotoCheck) -> list[AppealPhoto]:
    return await AppealPhoto.filter(appeal_id=appeal_id, check_status=status).order_by("position")


async def set_photo_trace(photo_id: UUID, trace_id: str) -> bool:
    """Records the trace id WeChat gave a sent photo, once (a resend after a crash before
    this leaves the first request's verdict unmatched, and the photo waits for the second)."""
    updated = await AppealPhoto.filter(
        id=photo_id, check_status=PhotoCheck.PENDING, check_trace_id__isnull=True
    ).update(check_trace_id=trace_id)
    return updated == 1


async def decide_photo(photo_id: UUID, *, expected: PhotoCheck, **changes: Any) -> bool:
    """Moves a photo's check on only if it is still `expected`: two pushes of one verdict,
    or a push racing the timeout, take effect once."""
    updated = await AppealPhoto.filter(id=photo_id, check_status=expected).update(**changes)
    return updated == 1


async def photos_pending_since(before: datetime, limit: int) -> list[AppealPhoto]:
    return (
        await AppealPhoto.filter(check_status=PhotoCheck.PENDING, check_requested_at__lt=before)
        .order_by("check_requested_at")
        .limit(limit)
    )


# -- photos shown to the public (Open311 media_url)


async def lock_photo(appeal_id: UUID, document_id: UUID) -> AppealPhoto | None:
    return (
        await AppealPhoto.filter(appeal_id=appeal_id, document_id=document_id)
        .select_for_update()
        .first()
    )


async def set_photo_publication(
    photo_id: UUID,
    *,
    published_at: datetime | None,
    actor_id: UUID,
    detail: str,
    request_id: str,
) -> None:
    """Makes the photo public (a time) or not (None), with its row in the audit trail."""
    await AppealPhoto.filter(id=photo_id).update(
        published_at=published_at,
        published_by_id=actor_id if published_at is not None else None,
    )
    await AuditEvent.create(
        actor_id=actor_id,
        action="appeal.photo_published" if published_at is not None else "appeal.photo_withdrawn",
        success=True,
        detail=detail,
        request_id=request_id,
    )


async def published_photos(appeal_ids: Sequence[UUID]) -> list[AppealPhoto]:
    """The public photos of the appeals that passed the image check and whose file is still
    in the wallet, with their documents, by position: one query whatever the number."""
    if not appeal_ids:
        return []
    return (
        await AppealPhoto.filter(
            appeal_id__in=list(appeal_ids),
            published_at__isnull=False,
            check_status=PhotoCheck.PASSED,
            document__status=DocumentStatus.AVAILABLE,
        )
        .select_related("document")
        .order_by("appeal_id", "position")
    )


# -- duplicates


async def nearby_candidates(
    *,
    category_id: UUID,
    south: float,
    west: float,
    north: float,
    east: float,
    since: datetime,
    exclude: UUID | None,
    limit: int,
) -> list[Appeal]:
    """Appeals of the category filed since `since` inside the box, that are not merged,
    held or refused: the candidates duplicates are chosen from."""
    query = Appeal.filter(
        category_id=category_id,
        latitude__gte=south,
        latitude__lte=north,
        longitude__gte=west,
        longitude__lte=east,
        submitted_at__gte=since,
    ).exclude(status__in=[AppealStatus.MERGED, AppealStatus.HELD, AppealStatus.REJECTED])
    if exclude is not None:
        query = query.exclude(id=exclude)
    return await query.order_by("-submitted_at").limit(limit)


# -- writes (inside the service's transaction)


async def reserve_number(day: date) -> int:
    """The next appeal number of the day, taken before the filing's transaction (see
    storage.counters): the day's row is never held by it."""
    return await counters.reserve("appeal_counter", day)


async def create(**fields: Any) -> Appeal:
    appeal = await Appeal.create(**fields)
    await appeal_stats.filed(appeal)
    return appeal


async def lock(appeal_id: UUID) -> Appeal | None:
    return await Appeal.filter(id=appeal_id).select_for_update().first()


async def lock_many(ids: Sequence[UUID]) -> list[Appeal]:
    """Locks in id order, so that two merges over the same appeals cannot deadlock."""
    return await Appeal.filter(id__in=sorted(ids)).order_by("id").select_for_update()


async def move(appeal_id: UUID, *, expected: AppealStatus, **changes: Any) -> bool:
    """Changes the status only if it is still `expected` (the lock makes it certain on
    PostgreSQL; the condition keeps it so where row locks are missing)."""
    updated = await Appeal.filter(id=appeal_id, status=expected).update(**changes)
    if updated == 1 and changes.get("status", expected) != expected:
        await appeal_stats.moved(appeal_id, expected, AppealStatus(changes["status"]))
    return updated == 1


async def update(appeal_id: UUID, **changes: Any) -> None:
    await Appeal.filter(id=appeal_id).update(**changes)


async def set_extension(
    appeal_id: UUID, *, expected: ExtensionStatus | None, **changes: Any
) -> bool:
    updated = await Appeal.filter(id=appeal_id, extension_status=expected).update(**changes)
    return updated == 1


async def add_event(**fields: Any) -> AppealEvent:
    return await AppealEvent.create(**fields)


async def add_photos(
    appeal_id: UUID,
    document_ids: Sequence[UUID],
    *,
    check: PhotoCheck = PhotoCheck.NOT_REQUIRED,
    at: datetime | None = None,
) -> list[AppealPhoto]:
    rows = [
        AppealPhoto(
            appeal_id=appeal_id,
            document_id=document_id,
            position=index,
            check_status=check,
            check_requested_at=at if check is PhotoCheck.PENDING else None,
        )
        for index, document_id in enumerate(document_ids)
    ]
    await AppealPhoto.bulk_create(rows)
    return rows


async def remember_terms(sealed_by_digest: dict[str, str]) -> None:
    await appeal_stats.remember_terms(sealed_by_digest)


async def add_reply(**fields: Any) -> AppealReply:
    reply = await AppealReply.create(**fields)
    await appeal_stats.replied(
        reply.appeal_id, on_time=reply.on_time, working_days=reply.working_days
    )
    return reply


async def add_rating(**fields: Any) -> AppealRating:
    rating = await AppealRating.create(**fields)
    await appeal_stats.rated(rating.appeal_id, Satisfaction(rating.level))
    return rating


async def open_revisit(
    appeal_id: UUID, round: int, *, due: date | None, now: datetime
) -> AppealRevisit:
    found = await AppealRevisit.get_or_none(appeal_id=appeal_id, round=round)
    if found is not None:
        return found
    return await AppealRevisit.create(
        appeal_id=appeal_id, round=round, status=RevisitStatus.PENDING, due_date=due, created_at=now
    )


async def lock_revisit(appeal_id: UUID) -> AppealRevisit | None:
    return (
        await AppealRevisit.filter(appeal_id=appeal_id)
        .order_by("-round")
        .select_for_update()
        .first()
    )


async def finish_revisit(revisit_id: UUID, **changes: Any) -> bool:
    updated = await AppealRevisit.filter(id=revisit_id, status=RevisitStatus.PENDING).update(
        status=RevisitStatus.DONE, **changes
    )
    return updated == 1


async def resolve_supervisions(
    appeal_id: UUID, round: int, kinds: Sequence[Any], now: datetime
) -> None:
    await AppealSupervision.filter(
        appeal_id=appeal_id, round=round, kind__in=list(kinds), resolved_at__isnull=True
    ).update(resolved_at=now)


async def resolve_all_supervisions(appeal_id: UUID, now: datetime) -> None:
    await AppealSupervision.filter(appeal_id=appeal_id, resolved_at__isnull=True).update(
        resolved_at=now
    )


async def log_reporter_read(actor_id: UUID, number: str, request_id: str) -> None:
    """A staff member read a reporter's contact in the clear: kept for the audit trail."""
    await AuditEvent.create(
        actor_id=actor_id,
        action="appeal.reporter_read",
        success=True,
        detail=f"appeal {number}",
        request_id=request_id,
    )


# -- staff lists


def _queue_of_centre() -> Q:
    return Q(
        Q(status__in=[AppealStatus.SUBMITTED, AppealStatus.RETURNED]),
        Q(status=AppealStatus.HELD, hold_reason=HoldReason.REVIEW),
        Q(status=AppealStatus.SIGNED, extension_status=ExtensionStatus.PENDING),
        join_type="OR",
    )


async def work_items(department_id: UUID, *, centre: bool, limit: int) -> list[Appeal]:
    """What waits for the department: appeals it must sign for or reply to; for the 12345
    centre also its queue (to dispatch or re-dispatch), held content to moderate and
    extensions to decide. Soonest due first; the queue (no due date) last."""
    scope = Q(department_id=department_id, status__in=list(HANDLING_STATUSES))
    if centre:
        scope = Q(scope, _queue_of_centre(), join_type="OR")
    return await Appeal.filter(scope).order_by("reply_due", "submitted_at", "id").limit(limit)


async def supervision_page(
    *, unresolved: bool | None, first: int, after: list[Any] | None
) -> Page[AppealSupervision]:
    query = AppealSupervision.all()
    if unresolved is True:
        query = query.filter(resolved_at__isnull=True)
    elif unresolved is False:
        query = query.filter(resolved_at__isnull=False)
    return await keyset_page(query, order=("-raised_at",), first=first, after=after)


# -- the deadline pass


async def open_handling(limit: int, after_id: UUID | None) -> list[Appeal]:
    query = Appeal.filter(status__in=list(HANDLING_STATUSES))
    if after_id is not None:
        query = query.filter(id__gt=after_id)
    return await query.order_by("id").limit(limit)


async def supervision_exists(appeal_id: UUID, kind: Any, round: int) -> bool:
    return await AppealSupervision.filter(appeal_id=appeal_id, kind=kind, round=round).exists()


async def add_supervision(**fields: Any) -> AppealSupervision:
    return await AppealSupervision.create(**fields)


async def replied_before(moment: datetime, limit: int) -> list[Appeal]:
    return (
        await Appeal.filter(status=AppealStatus.REPLIED, replied_at__lt=moment)
        .order_by("replied_at", "id")
        .limit(limit)
    )


async def held_for_check(limit: int) -> list[Appeal]:
    return (
        await Appeal.filter(status=AppealStatus.HELD, hold_reason=HoldReason.CHECK_PENDING)
        .order_by("submitted_at", "id")
        .limit(limit)
    )


# -- insights (aggregates only leave the service)


def _insight_scope(
    *,
    start: datetime,
    end: datetime,
    district_ids: Sequence[UUID] | None,
    category_ids: Sequence[UUID] | None,
) -> QuerySet[Appeal]:
    """Appeals filed in [start, end) that reached the platform (not held or refused)."""
    query = Appeal.filter(submitted_at__gte=start, submitted_at__lt=end).exclude(
        status__in=list(appeal_stats.OUTSIDE)
    )
    if district_ids is not None:
        query = query.filter(district_id__in=list(district_ids))
    if category_ids is not None:
        query = query.filter(category_id__in=list(category_ids))
    return query


# The aggregates (storage.repositories.appeal_stats) insights read instead of the rows.
insight_cells = appeal_stats.cells
insight_terms = appeal_stats.term_counts
insight_words = appeal_stats.sealed_terms
insight_known_digests = appeal_stats.all_digests
rebuild_insights = appeal_stats.rebuild
appeals_by_id = appeal_stats.appeals_by_id


async def insight_rows(
    *,
    start: datetime,
    end: datetime,
    district_ids: Sequence[UUID] | None,
    category_ids: Sequence[UUID] | None,
) -> list[dict[str, Any]]:
    query = _insight_scope(
        start=start, end=end, district_ids=district_ids, category_ids=category_ids
    )
    return list(
        await query.values(
            "category_id", "district_id", "submitted_at", "keywords_sealed", "status"
        )
    )


async def insight_timeliness(
    *,
    start: datetime,
    end: datetime,
    district_ids: Sequence[UUID] | None,
    category_ids: Sequence[UUID] | None,
) -> tuple[int, int, int]:
    """(replies, replies on time, working days to reply in all) of the appeals in scope,
    counted by the database."""
    scope = _insight_scope(
        start=start, end=end, district_ids=district_ids, category_ids=category_ids
    )
    replies = AppealReply.filter(appeal_id__in=Subquery(scope.values("id")))
    rows = await replies.annotate(n=Count("id"), days=Sum("working_days")).values("n", "days")
    on_time = await replies.filter(on_time=True).count()
    total = int(rows[0]["n"] or 0) if rows else 0
    days = int(rows[0]["days"] or 0) if rows else 0
    return total, on_time, days


async def insight_levels(
    *,
    start: datetime,
    end: datetime,
    district_ids: Sequence[UUID] | None,
    category_ids: Sequence[UUID] | None,
) -> dict[str, int]:
    """Ratings per satisfaction level of the appeals in scope, counted by the database."""
    scope = _insight_scope(
        start=start, end=end, district_ids=district_ids, category_ids=category_ids
    )
    rows = (
        await AppealRating.filter(appeal_id__in=Subquery(scope.values("id")))
        .annotate(n=Count("id"))
        .group_by("level")
        .values("level", "n")
    )
    return {str(row["level"]): int(row["n"]) for row in rows}


# -- Open311


async def open311_client_by_hash(key_hash: str) -> Open311Client | None:
    return await Open311Client.get_or_none(key_hash=key_hash, revoked_at__isnull=True)


async def open311_clients() -> list[Open311Client]:
    return await Open311Client.all().order_by("name")


async def open311_add(name: str, key_hash: str) -> Open311Client:
    return await Open311Client.create(name=name, key_hash=key_hash)


async def open311_revoke(name: str, now: datetime) -> bool:
    updated = await Open311Client.filter(name=name, revoked_at__isnull=True).update(revoked_at=now)
    return updated == 1


async def open311_touch(client_id: UUID, now: datetime) -> None:
    await Open311Client.filter(id=client_id).update(last_used_at=now)


async def public_requests(
    *,
    numbers: Sequence[str] | None,
    category_ids: Sequence[UUID] | None,
    start: datetime | None,
    end: datetime | None,
    statuses: Sequence[AppealStatus] | None,
    hidden_kinds: Sequence[Any],
    limit: int,
    offset: int,
) -> list[Appeal]:
    """Appeals the public may see (never held, refused or confidential kinds), newest first."""
    query = Appeal.exclude(status__in=[AppealStatus.HELD, AppealStatus.REJECTED]).exclude(
        kind__in=list(hidden_kinds)
    )
    if numbers is not None:
        query = query.filter(number__in=list(numbers))
    else:
        if category_ids is not None:
            query = query.filter(category_id__in=list(category_ids))
        if start is not None:
            query = query.filter(submitted_at__gte=start)
        if end is not None:
            query = query.filter(submitted_at__lte=end)
        if statuses is not None:
            query = query.filter(status__in=list(statuses))
    return await query.order_by("-submitted_at", "-id").offset(offset).limit(limit)


def typed_cursor(after: Sequence[Scalar] | None, kinds: Sequence[type]) -> list[Any] | None:
    """Cursor values back to their column types; ValueError for a cursor of another list."""
    if after is None:
        return None
    if len(after) != len(kinds):
        raise ValueError("cursor does not fit this list")
    values: list[Any] = []
    for value, kind in zip(after, kinds, strict=True):
        if kind is datetime and isinstance(value, str):
            values.append(datetime.fromisoformat(value))
        elif kind is UUID and isinstance(value, str):
            values.append(UUID(value))
        elif kind is int and isinstance(value, int) and not isinstance(value, bool):
            values.append(value)
        else:
            raise ValueError("cursor does not fit this list")
    return values
