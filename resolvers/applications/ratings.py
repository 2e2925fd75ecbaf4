"""好差评: the resident's rating of a finished application, and the rectification with its
revisit (回访) that a bad rating opens for the department."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from resolvers import policy
from resolvers.applications import bundles
from resolvers.applications.errors import ApplicationError
from resolvers.applications.errors import ApplicationErrorCode as Code
from resolvers.applications.transitions import acting, authorize, clean_note, record
from resolvers.calendar.service import Deadline, china_date, deadline
from resolvers.notifications.service import enqueue_inbox
from resolvers.principal import Principal
from resolvers.resources import Resources
from storage.models.applications import (
    FINISHED_STATUSES,
    RATING_SCORES,
    Application,
    EventType,
    Rating,
    RatingLevel,
    Rectification,
    RectificationStatus,
)
from storage.repositories import applications as repo
from storage.transactions import IntegrityError, atomic

MAX_COMMENT = 200


async def rate(
    resources: Resources,
    principal: Principal,
    application_id: UUID,
    level: RatingLevel,
    comment: str | None,
) -> Rating:
    """One rating per finished application; 不满意 or worse opens a rectification for the
    department, due in `rectification_days` working days, with a revisit to record.

    A bundle (一件事) is rated once: the resident's rating of the parent is each finished
    item's 好差评 (items rated on their own keep theirs), and the parent's timeline says so."""
    text = clean_note(comment, "comment")
    if len(text) > MAX_COMMENT:
        raise ApplicationError(Code.INVALID_INPUT, "comment")
    now = resources.clock()
    due = await deadline(china_date(now), resources.settings.rectification_days)
    try:
        async with atomic():
            application = await repo.lock(application_id)
            await authorize(resources, principal, policy.Action.APPLICATION_RATE, application)
            assert application is not None
            owner_id = acting(principal)
            if application.status not in FINISHED_STATUSES:
                raise ApplicationError(Code.NOT_FINISHED, "applicationId")
            if application.implementation_id is not None:
                if await repo.is_rated(application.id):
                    raise ApplicationError(Code.ALREADY_RATED, "applicationId")
                return await _rate_one(application, level, text, now, due, owner_id)
            ratings = []
            for child_id, status in sorted(
                await repo.children_statuses(application.id), key=lambda pair: str(pair[0])
            ):
                if status not in FINISHED_STATUSES or await repo.is_rated(child_id):
                    continue
                child = await repo.lock(child_id)
                assert child is not None
                ratings.append(await _rate_one(child, level, text, now, due, owner_id))
            if not ratings:
                raise ApplicationError(Code.ALREADY_RATED, "applicationId")
            await bundles.record_rated(
                application, at=now, actor_id=owner_id, note=f"{len(ratings)} 项已评价"
            )
            return ratings[0]
    except IntegrityError:  # a second rating raced the first
        raise ApplicationError(Code.ALREADY_RATED, "applicationId") from None


async def _rate_one(
    application: Application,
    level: RatingLevel,
    text: str,
    now: datetime,
    due: Deadline,
    owner_id: UUID,
) -> Rating:
    """Inside the transaction, on the locked application of one item."""
    assert application.implementation_id is not None
    implementation = await repo.implementation(application.implementation_id)
    assert implementation is not None
    base = await repo.base_item(implementation.base_id)
    rating = await repo.add_rating(
        application_id=application.id,
        level=level,
        score=RATING_SCORES[level],
        comment=text,
        base_code=base.basic_code,
        department_id=application.department_id,
    )
    if RATING_SCORES[level] <= RATING_SCORES[RatingLevel.DISSATISFIED]:
        await repo.add_rectification(
            rating_id=rating.id,
            application_id=application.id,
            department_id=application.department_id,
            status=RectificationStatus.OPEN,
            due_date=due.due,
            due_beyond_calendar=due.beyond_calendar,
        )
        await enqueue_inbox(
            key=str(application.id),
            now=now,
            topic="RECTIFICATION",
            title="差评整改",
            body=f"办件 {application.number} 收到差评，请整改并回访。",
            subject_id=application.id,
            department_id=application.department_id,
        )
    await record(application, EventType.RATED, application.status, at=now, actor_id=owner_id)
    return rating


async def record_revisit(
    resources: Resources, principal: Principal, rectification_id: UUID, note: str | None
) -> Rectification:
    text = clean_note(note, required=True)
    now = resources.clock()
    async with atomic():
        row = await repo.lock_rectification(rectification_id)
        # A rectification is seen only by its department: anyone else is told it does not exist.
        await policy.authorize_seen(
            resources,
            principal,
            policy.Action.RECTIFICATION_REVISIT,
            policy.Subject(department_id=row.department_id) if row else None,
            seen_by=policy.Action.RECTIFICATION_REVISIT,
            hidden=ApplicationError(Code.NOT_FOUND, "rectificationId"),
            field="rectificationId",
        )
        assert row is not None
        actor_id = acting(principal)
        if row.status is not RectificationStatus.OPEN or not await repo.revisit(
            row.id, revisit_note=text, revisited_by_id=actor_id, revisited_at=now
        ):
            raise ApplicationError(Code.ALREADY_REVISITED, "rectificationId")
    return await repo.rectification(rectification_id)
