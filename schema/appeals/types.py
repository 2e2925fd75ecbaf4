"""Appeals' types (网络理政): the dispatch catalogue, the appeal with its timeline, replies,
ratings and photos, duplicates, supervision, insights, and every mutation's input, error and
result."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self, cast
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from resolvers import policy
from resolvers.appeals import catalogue, deadlines, duplicates, insights, reads
from resolvers.appeals.dispatch import (
    MAX_CATEGORY_CHILDREN,
    MAX_CATEGORY_GROUPS,
    MAX_CATEGORY_KEYWORDS,
    category_keywords,
)
from resolvers.appeals.errors import AppealErrorCode
from resolvers.appeals.transitions import subject_of, unseal
from resolvers.calendar.workdays import china_date
from schema.catalogue.types import Department, GeoPoint, GeoPointInput, Region
from schema.context import Info, client_of
from schema.cost import bounded
from schema.documents.types import Document
from schema.errors import UserError
from schema.pagination import Connection, ListLimit
from storage.models import appeals as models
from storage.models.appeals import (
    MAX_PHOTOS,
    RELEASED_PHOTOS,
    AppealChannel,
    AppealEventType,
    AppealKind,
    AppealStatus,
    ExtensionStatus,
    HoldReason,
    PhotoCheck,
    RevisitMethod,
    RevisitStatus,
    Satisfaction,
    SupervisionKind,
)
from storage.models.catalogue import Channel

strawberry.enum(
    AppealKind,
    description=(
        "咨询 CONSULTATION, 求助 HELP, 投诉 COMPLAINT, 举报 REPORT, 建议 SUGGESTION, 表扬 PRAISE."
    ),
)
strawberry.enum(
    AppealStatus,
    description=(
        "HELD (content under review) -> SUBMITTED (the 12345 centre's queue) -> DISPATCHED (with "
        "a department, to sign for) -> SIGNED -> REPLIED -> CLOSED. RETURNED: 退单, waiting for "
        "改派. MERGED: 并单, answered through another appeal. REJECTED: the content was refused."
    ),
)
strawberry.enum(
    HoldReason,
    description=(
        "CHECK_PENDING: WeChat's content check did not answer yet; REVIEW: a moderator decides."
    ),
)
strawberry.enum(AppealChannel, description="The five channels of the plan, and OPEN311 clients.")
strawberry.enum(
    PhotoCheck,
    name="AppealPhotoCheckStatus",
    description=(
        "WeChat's image check of an appeal photo: NOT_REQUIRED (not a mini-program filing), "
        "PENDING (held until WeChat's verdict), PASSED, REVIEW (held for a moderator), RISKY "
        "(removed from the appeal)."
    ),
)
strawberry.enum(AppealEventType, description="What happened on an appeal's timeline.")
strawberry.enum(Satisfaction, name="AppealSatisfaction", description="满意, 基本满意, 不满意.")
strawberry.enum(ExtensionStatus, name="AppealExtensionStatus")
strawberry.enum(
    SupervisionKind,
    name="AppealSupervisionKind",
    description="督办 raised because the sign-for or the reply deadline passed.",
)
strawberry.enum(RevisitStatus, name="AppealRevisitStatus")
strawberry.enum(
    RevisitMethod,
    name="AppealRevisitMethod",
    description="RATING: answered by the resident's rating; CALL / UNREACHABLE: the centre called.",
)
strawberry.enum(AppealErrorCode)

# An appeal's history grows with every dispatch, return, reopening and merge.
EVENTS = ListLimit(default=100, cap=100)
ROUNDS = ListLimit(default=50, cap=50)  # replies and ratings: one per round
MERGED = ListLimit(default=100, cap=100)


@strawberry.enum(description="A moderator's decision on held content.")
class ModerationDecision(StrEnum):
    RELEASE = "RELEASE"
    REJECT = "REJECT"


@strawberry.type(
    description="A node of the 12345 dispatch catalogue (派单目录); leaves are chosen."
)
class AppealCategory:
    code: str
    name: str
    description: str
    keywords: list[str] = strawberry.field(
        directives=bounded(MAX_CATEGORY_KEYWORDS),
        description=f"Synonyms, for search and Open311; at most {MAX_CATEGORY_KEYWORDS}.",
    )
    active: bool = strawberry.field(
        description="False once retired: kept for the appeals filed under it, never chosen."
    )
    version: int = strawberry.field(
        description="The catalogue version of its last change (0: as first loaded)."
    )
    _model: strawberry.Private[models.AppealCategory]
    _include_retired: strawberry.Private[bool] = False

    @classmethod
    def of(cls, model: models.AppealCategory, *, include_retired: bool = False) -> Self:
        return cls(
            code=model.code,
            name=model.name,
            description=model.description,
            keywords=category_keywords(model.keywords),
            active=model.active,
            version=model.version,
            _model=model,
            _include_retired=include_retired,
        )

    @strawberry.field(
        directives=bounded(MAX_CATEGORY_CHILDREN),
        description=(
            "The categories below (empty for a leaf), retired ones only where the catalogue "
            f"was asked with includeRetired; at most {MAX_CATEGORY_CHILDREN}."
        ),
    )
    async def children(self, info: Info) -> list[AppealCategory]:
        rows = await info.context.loaders.appeal_category_children.load(self._model.id)
        return [
            AppealCategory.of(row, include_retired=self._include_retired)
            for row in rows
            if row.active or self._include_retired
        ]

    @strawberry.field(description="The group above, null for a group.")
    async def parent(self, info: Info) -> AppealCategory | None:
        if self._model.parent_id is None:
            return None
        row = await info.context.loaders.appeal_category.load(self._model.parent_id)
        return AppealCategory.of(row) if row else None

    async def _limits(self, info: Info) -> deadlines.Limits:
        parent = (
            await info.context.loaders.appeal_category.load(self._model.parent_id)
            if self._model.parent_id
            else None
        )
        return deadlines.limits(info.context.resources.settings, self._model, parent)

    @strawberry.field(description="Working days a department has to sign for it (签收).")
    async def sign_days(self, info: Info) -> int:
        return (await self._limits(info)).sign_days

    @strawberry.field(description="Working days a department has to reply, without extension.")
    async def reply_days(self, info: Info) -> int:
        return (await self._limits(info)).reply_days

    @strawberry.field(description="Working days an approved extension may add at most.")
    async def max_extension_days(self, info: Info) -> int:
        return (await self._limits(info)).max_extension_days


@strawberry.type(
    description=("A row of the dispatch table (category × region → department) as an edit left it.")
)
class AppealRouteChange:
    version: int = strawberry.field(
        description="The catalogue version of the edit (of the row's last change if unchanged)."
    )
    _change: strawberry.Private[catalogue.RouteChange]

    @strawberry.field(description="The category (a leaf, or a group: all its leaves).")
    def category(self) -> AppealCategory:
        return AppealCategory.of(self._change.category, include_retired=True)

    @strawberry.field(description="The region; the row applies there and below.")
    async def region(self, info: Info) -> Region:
        row = await info.context.loaders.region.load(self._change.region_id)
        assert row is not None
        return Region.of(row)

    @strawberry.field(description="Where such appeals are dispatched; null: the row was removed.")
    async def department(self, info: Info) -> Department | None:
        if self._change.department_id is None:
            return None
        row = await info.context.loaders.department.load(self._change.department_id)
        return Department.of(row) if row else None


strawberry.enum(
    models.AppealCatalogueAction,
    description=(
        "What an edit of the dispatch catalogue or table did: a category added or changed, "
        "retired; a row of the table set or removed."
    ),
)


@strawberry.type(description="A row of the dispatch table (12345 centre, ADMIN).")
class AppealDispatchRule:
    version: int = strawberry.field(description="The catalogue version of the row's last change.")
    _row: strawberry.Private[models.AppealRoute]

    @classmethod
    def of(cls, row: models.AppealRoute) -> Self:
        return cls(version=row.version, _row=row)

    @strawberry.field(description="The category (a leaf, or a group: all its leaves).")
    async def category(self, info: Info) -> AppealCategory:
        row = await info.context.loaders.appeal_category.load(self._row.category_id)
        assert row is not None
        return AppealCategory.of(row, include_retired=True)

    @strawberry.field(description="The region; the row applies there and below.")
    async def region(self, info: Info) -> Region:
        row = await info.context.loaders.region.load(self._row.region_id)
        assert row is not None
        return Region.of(row)

    @strawberry.field(description="Where such appeals are dispatched.")
    async def department(self, info: Info) -> Department:
        row = await info.context.loaders.department.load(self._row.department_id)
        assert row is not None
        return Department.of(row)


@strawberry.type(
    description=(
        "One version of the dispatch catalogue and table: the edit that made it, who made it "
        "and when, the row before and after (codes and names, never personal data)."
    )
)
class AppealCatalogueVersion:
    version: int
    at: datetime
    action: models.AppealCatalogueAction
    subject: str = strawberry.field(
        description="A category code, or categoryCode@regionCode for a row of the table."
    )
    before: JSON | None = strawberry.field(description="Null: the edit created it.")
    after: JSON | None = strawberry.field(description="Null: the edit removed it.")
    actor_name: str | None = strawberry.field(
        description="The staff member who made the edit (their display name or sign-in name)."
    )
    _actor_department_id: strawberry.Private[UUID | None]

    @classmethod
    def of(cls, entry: catalogue.HistoryEntry) -> Self:
        change = entry.change
        return cls(
            version=change.version,
            at=change.at,
            action=change.action,
            subject=change.subject,
            before=cast("JSON | None", change.before),
            after=cast("JSON | None", change.after),
            actor_name=entry.actor_name,
            _actor_department_id=entry.actor_department_id,
        )

    @strawberry.field(description="The department of the staff member who made the edit.")
    async def actor_department(self, info: Info) -> Department | None:
        if self._actor_department_id is None:
            return None
        row = await info.context.loaders.department.load(self._actor_department_id)
        return Department.of(row) if row else None


AppealDispatchRuleConnection = Connection[AppealDispatchRule]
AppealCatalogueVersionConnection = Connection[AppealCatalogueVersion]


@strawberry.type(description="An entry of the timeline: the audit trail of the appeal.")
class AppealEvent:
    type: AppealEventType
    at: datetime
    status: AppealStatus = strawberry.field(description="The status after the event.")
    note: str = strawberry.field(
        description="Staff's or the system's note; the resident's own words for a reopen."
    )
    by_staff: bool = strawberry.field(
        description="A staff member acted (not the resident or the system)."
    )
    _department_id: strawberry.Private[UUID | None]

    @strawberry.field(description="The department it was dispatched or returned from / to.")
    async def department(self, info: Info) -> Department | None:
        if self._department_id is None:
            return None
        row = await info.context.loaders.department.load(self._department_id)
        return Department.of(row) if row else None


@strawberry.type(description="A department's reply (答复).")
class AppealReply:
    content: str
    at: datetime
    on_time: bool = strawberry.field(
        description="Given by the reply deadline of its round (working days)."
    )
    working_days: int = strawberry.field(description="Working days from receipt to this reply.")
    _department_id: strawberry.Private[UUID]

    @strawberry.field
    async def department(self, info: Info) -> Department:
        row = await info.context.loaders.department.load(self._department_id)
        assert row is not None
        return Department.of(row)


@strawberry.type(description="The resident's rating of one reply.")
class AppealRating:
    level: Satisfaction
    comment: str
    at: datetime
    round: int = strawberry.field(description="Which reply it rates: 1 for the first round.")


@strawberry.type(description="An approved or pending extension of the reply deadline.")
class AppealExtension:
    status: ExtensionStatus
    requested_days: int | None = strawberry.field(description="Working days asked.")
    approved_days: int = strawberry.field(description="Working days added in this round so far.")
    reason: str


@strawberry.type(
    description=(
        "Who filed the appeal, for the staff handling it. For 举报 (REPORT) the reporter is "
        "protected: only masked values are given. Reading a name or phone in the clear is logged."
    )
)
class AppealReporter:
    protected: bool = strawberry.field(description="举报: the identity is withheld from handlers.")
    name_masked: str | None
    phone_masked: str | None
    _appeal: strawberry.Private[models.Appeal]
    _name: strawberry.Private[str | None]
    _phone: strawberry.Private[str | None]
    _email: strawberry.Private[str | None]

    async def _logged(self, info: Info, value: str | None) -> str | None:
        if value is None or self.protected:
            return None
        await reads.log_reporter_read(info.context, self._appeal, client_of(info).request_id)
        return value

    @strawberry.field(description="In the clear, to call back; null for 举报.")
    async def name(self, info: Info) -> str | None:
        return await self._logged(info, self._name)

    @strawberry.field(description="In the clear, to call back; null for 举报.")
    async def phone(self, info: Info) -> str | None:
        return await self._logged(info, self._phone)

    @strawberry.field(description="Open311 filings may carry one; null for 举报.")
    async def email(self, info: Info) -> str | None:
        return await self._logged(info, self._email)


@strawberry.type(description="The image check of one photo attached to an appeal.")
class AppealPhotoCheck:
    document_id: strawberry.ID = strawberry.field(description="The wallet document (its id).")
    status: PhotoCheck
    checked_at: datetime | None = strawberry.field(
        description="When WeChat's verdict arrived; null while pending or when not checked."
    )
    published_at: datetime | None = strawberry.field(
        description=(
            "Since when the photo is shown to the public (Open311 `media_url`), as staff "
            "decided; null: only those who may read the appeal see it."
        )
    )


@strawberry.type(description="A 回访 of a closed appeal.")
class AppealRevisit:
    status: RevisitStatus
    due_date: date | None = strawberry.field(description="Working days from closing.")
    method: RevisitMethod | None
    satisfaction: Satisfaction | None
    done_at: datetime | None


@strawberry.type(
    description=(
        "An appeal (诉求) filed with the 12345 platform: visible to the resident who filed it, to "
        "the department it is with, and to the 12345 centre. Deadlines count working days."
    )
)
class Appeal(relay.Node):
    id: relay.NodeID[str]
    number: str = strawberry.field(description="SQ + date + sequence, quoted on the hotline.")
    kind: AppealKind
    status: AppealStatus
    hold_reason: HoldReason | None
    channel: AppealChannel
    submitted_at: datetime
    received_on: date | None = strawberry.field(description="The day the department received it.")
    sign_due_date: date | None = strawberry.field(
        description="Sign for it (签收) by then: 1 working day unless the category says otherwise."
    )
    due_date: date | None = strawberry.field(
        description=(
            "Reply by then: 5 working days from receipt unless the category says otherwise, plus "
            "approved extension days (at most 10). Null before dispatch or past the known calendar."
        )
    )
    returnable_until: date | None = strawberry.field(
        description="The department may return it (退单) until then: 2 working days from receipt."
    )
    due_beyond_calendar: bool = strawberry.field(
        description="A deadline lies past the last year the calendar knows: not guessed."
    )
    signed_at: datetime | None
    replied_at: datetime | None
    closed_at: datetime | None
    reopen_count: int
    reply_wanted: bool = strawberry.field(
        description=(
            "False when the resident said no reply is wanted (建议 and 表扬 only): nobody "
            "need call back. Every other appeal was filed with a bound phone."
        )
    )
    _model: strawberry.Private[models.Appeal]

    @classmethod
    def of(cls, model: models.Appeal) -> Self:
        return cls(
            id=str(model.id),
            number=model.number,
            kind=model.kind,
            status=model.status,
            hold_reason=model.hold_reason,
            channel=model.channel,
            submitted_at=model.submitted_at,
            received_on=model.received_on,
            sign_due_date=model.sign_due,
            due_date=model.reply_due,
            returnable_until=model.return_until,
            due_beyond_calendar=model.due_beyond_calendar,
            signed_at=model.signed_at,
            replied_at=model.replied_at,
            closed_at=model.closed_at,
            reopen_count=model.reopen_count,
            reply_wanted=model.reply_wanted,
            _model=model,
        )

    @strawberry.field(description="What the resident wrote.")
    def content(self, info: Info) -> str:
        return reads.content_of(info.context.resources, self._model)

    @strawberry.field(description="The address the resident gave, if any.")
    def address(self, info: Info) -> str | None:
        return reads.address_of(info.context.resources, self._model)

    @strawberry.field(description="Where it is (GCJ-02, as wx.getLocation gives it), if given.")
    def location(self) -> GeoPoint | None:
        if self._model.latitude is None or self._model.longitude is None:
            return None
        return GeoPoint(lat=self._model.latitude, lng=self._model.longitude)

    @strawberry.field(description="Past its reply (or, unsigned, its sign-for) deadline.")
    def overdue(self, info: Info) -> bool:
        return deadlines.is_overdue(self._model, china_date(info.context.resources.clock()))

    @strawberry.field(
        description="Rating and reopening are possible until then (calendar days after the reply)."
    )
    def reopenable_until(self, info: Info) -> datetime | None:
        if self._model.replied_at is None or self._model.status not in (
            AppealStatus.REPLIED,
            AppealStatus.CLOSED,
        ):
            return None
        return deadlines.window_end(info.context.resources.settings, self._model.replied_at)

    @strawberry.field
    async def category(self, info: Info) -> AppealCategory:
        row = await info.context.loaders.appeal_category.load(self._model.category_id)
        assert row is not None
        return AppealCategory.of(row)

    @strawberry.field(description="Where the matter is (county, street or community).")
    async def region(self, info: Info) -> Region:
        row = await info.context.loaders.region.load(self._model.region_id)
        assert row is not None
        return Region.of(row)

    @strawberry.field(description="The department it is with; null in the 12345 centre's queue.")
    async def department(self, info: Info) -> Department | None:
        if self._model.department_id is None:
            return None
        row = await info.context.loaders.department.load(self._model.department_id)
        return Department.of(row) if row else None

    @strawberry.field(description="Approved or pending extension of the reply deadline.")
    def extension(self) -> AppealExtension | None:
        status: ExtensionStatus | None = self._model.extension_status
        if status is None:
            return None
        return AppealExtension(
            status=status,
            requested_days=self._model.extension_requested_days,
            approved_days=self._model.extension_days,
            reason=self._model.extension_reason,
        )

    @strawberry.field(
        directives=bounded(MAX_PHOTOS),
        description=(
            f"Wallet photos the resident attached (readers of the appeal only); at most "
            f"{MAX_PHOTOS}. Mini-program photos go through WeChat's image check first: until "
            "it releases them only the resident sees them, and a photo it finds risky is "
            "removed (see `photoChecks`)."
        ),
    )
    async def photos(self, info: Info) -> list[Document]:
        rows = await info.context.loaders.appeal_photos.load(self._model.id)
        if info.context.principal.account_id == self._model.owner_id:
            shown = [r for r in rows if r.check_status is not PhotoCheck.RISKY]
        else:
            shown = [r for r in rows if r.check_status in RELEASED_PHOTOS]
        documents = await info.context.loaders.document.load_many([r.document_id for r in shown])
        return [Document.of(d) for d in documents if d is not None]

    @strawberry.field(
        directives=bounded(MAX_PHOTOS),
        description=(
            "Where each attached photo is in WeChat's image check: PENDING and REVIEW are held "
            "(not shown to the department), RISKY was removed from the appeal. For the resident "
            "who filed it; empty for everyone else."
        ),
    )
    async def photo_checks(self, info: Info) -> list[AppealPhotoCheck]:
        if not await policy.allows(
            info.context.resources,
            info.context.principal,
            policy.Action.APPEAL_PHOTO_CHECKS,
            subject_of(self._model),
        ):
            return []
        rows = await info.context.loaders.appeal_photos.load(self._model.id)
        return [
            AppealPhotoCheck(
                document_id=strawberry.ID(relay.to_base64(Document, r.document_id)),
                status=r.check_status,
                checked_at=r.checked_at,
                published_at=r.published_at,
            )
            for r in rows
        ]

    @strawberry.field(
        directives=bounded(MAX_PHOTOS),
        description=(
            "The ids of the attached photos (documents in `photos`) that staff published: the "
            "first is Open311's `media_url`. Set with `publishAppealPhoto`."
        ),
    )
    async def published_photo_ids(self, info: Info) -> list[strawberry.ID]:
        rows = await info.context.loaders.appeal_photos.load(self._model.id)
        return [
            strawberry.ID(relay.to_base64(Document, r.document_id))
            for r in rows
            if r.published_at is not None and r.check_status is PhotoCheck.PASSED
        ]

    @strawberry.field(
        directives=ROUNDS.directives,
        description=ROUNDS.describe(
            "The replies, oldest first; a merged appeal shows those of the appeal it was merged "
            "into."
        ),
    )
    async def replies(self, info: Info, first: int | None = ROUNDS.default) -> list[AppealReply]:
        size = ROUNDS.size(first)
        source = self._model.merged_into_id or self._model.id
        rows = (await info.context.loaders.appeal_replies.load(source))[:size]
        resources = info.context.resources
        return [
            AppealReply(
                content=unseal(resources, "reply", row.body_sealed) or "",
                at=row.created_at,
                on_time=row.on_time,
                working_days=row.working_days,
                _department_id=row.department_id,
            )
            for row in rows
        ]

    @strawberry.field(description="The latest rating, if the resident rated.")
    async def rating(self, info: Info) -> AppealRating | None:
        rows = await self._ratings(info)
        return rows[-1] if rows else None

    @strawberry.field(
        directives=ROUNDS.directives,
        description=ROUNDS.describe("Every rating, one per reply round, oldest first."),
    )
    async def ratings(self, info: Info, first: int | None = ROUNDS.default) -> list[AppealRating]:
        size = ROUNDS.size(first)
        return (await self._ratings(info))[:size]

    async def _ratings(self, info: Info) -> list[AppealRating]:
        rows = await info.context.loaders.appeal_ratings.load(self._model.id)
        resources = info.context.resources
        return [
            AppealRating(
                level=row.level,
                comment=unseal(resources, "comment", row.comment_sealed) or "",
                at=row.created_at,
                round=row.round,
            )
            for row in rows
        ]

    @strawberry.field(
        directives=EVENTS.directives, description=EVENTS.describe("The timeline, oldest first.")
    )
    async def events(self, info: Info, first: int | None = EVENTS.default) -> list[AppealEvent]:
        size = EVENTS.size(first)
        rows = (await info.context.loaders.appeal_events.load(self._model.id))[:size]
        resources = info.context.resources
        return [
            AppealEvent(
                type=row.type,
                at=row.at,
                status=row.status,
                note=unseal(resources, "note", row.note_sealed) or row.note,
                by_staff=row.actor_id is not None and row.actor_id != self._model.owner_id,
                _department_id=row.department_id,
            )
            for row in rows
        ]

    @strawberry.field(
        description="The appeal it was merged into (并单), if the caller may read it."
    )
    async def merged_into(self, info: Info) -> Appeal | None:
        if self._model.merged_into_id is None:
            return None
        rows = await reads.readable(info.context, [self._model.merged_into_id])
        return Appeal.of(rows[0]) if rows else None

    @strawberry.field(
        directives=MERGED.directives,
        description=MERGED.describe("Staff: the appeals merged into this one."),
    )
    async def merged_appeals(self, info: Info, first: int | None = MERGED.default) -> list[Appeal]:
        size = MERGED.size(first)
        if not await reads.handles(info.context, self._model):
            return []
        rows = await info.context.loaders.appeal_merged.load(self._model.id)
        return [Appeal.of(row) for row in rows[:size]]

    @strawberry.field(description="Staff: who filed it (masked for 举报); null for the resident.")
    async def reporter(self, info: Info) -> AppealReporter | None:
        if not await reads.handles(info.context, self._model):
            return None
        protected = self._model.kind is AppealKind.REPORT
        resources = info.context.resources
        contact = reads.contact_of(resources, self._model)
        name = contact.get("name")
        phone = contact.get("phone")
        name_masked = phone_masked = None
        if self._model.owner_id is not None:
            account = await info.context.loaders.account.load(self._model.owner_id)
            if account is not None:
                name_masked, phone_masked = account.name_masked, account.phone_masked
                if account.name_sealed:
                    name = resources.keyring.open(account.name_sealed, context="account.name")
                if account.phone_sealed:
                    phone = resources.keyring.open(account.phone_sealed, context="account.phone")
        if name_masked is None and name:
            name_masked = name[0] + "*" * max(len(name) - 1, 1)
        if phone_masked is None and phone and len(phone) >= 7:
            phone_masked = f"{phone[:3]}****{phone[-4:]}"
        return AppealReporter(
            protected=protected,
            name_masked=name_masked,
            phone_masked=phone_masked,
            _appeal=self._model,
            _name=name,
            _phone=phone,
            _email=contact.get("email"),
        )

    @strawberry.field(
        description=(
            "Staff: likely duplicates for 并单: the same category, within 200 m, filed within 30 "
            f"days, sharing keywords; most similar first (at most {duplicates.MAX_SUGGESTIONS})."
        ),
        directives=bounded(duplicates.MAX_SUGGESTIONS),
    )
    async def likely_duplicates(self, info: Info) -> list[AppealDuplicate]:
        if not await reads.handles(info.context, self._model):
            return []
        found = await duplicates.likely_duplicates(info.context.resources, self._model)
        visible = {a.id for a in await reads.readable(info.context, [d.appeal.id for d in found])}
        return [
            AppealDuplicate(
                appeal=Appeal.of(d.appeal),
                distance_meters=round(d.distance_meters, 1),
                similarity=round(d.similarity, 3),
            )
            for d in found
            if d.appeal.id in visible
        ]

    @strawberry.field(description="Staff: the 回访 of the latest closing.")
    async def revisit(self, info: Info) -> AppealRevisit | None:
        if not await reads.handles(info.context, self._model):
            return None
        rows = await info.context.loaders.appeal_revisits.load(self._model.id)
        if not rows:
            return None
        row = rows[-1]
        return AppealRevisit(
            status=row.status,
            due_date=row.due_date,
            method=row.method,
            satisfaction=row.satisfaction,
            done_at=row.done_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        ids = [_uuid(n) for n in node_ids]
        rows = await reads.readable(info.context, [i for i in ids if i is not None])
        found = {r.id: cls.of(r) for r in rows}
        return [found.get(i) if i else None for i in ids]


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


AppealConnection = Connection[Appeal]


@strawberry.type(description="A likely duplicate of an appeal.")
class AppealDuplicate:
    appeal: Appeal
    distance_meters: float
    similarity: float = strawberry.field(description="Keyword overlap (Jaccard), 0..1.")


@strawberry.type(description="督办: a missed deadline, shown in the supervisors' inbox.")
class AppealSupervision:
    id: strawberry.ID
    kind: SupervisionKind
    round: int
    due_date: date
    raised_at: datetime
    resolved_at: datetime | None = strawberry.field(
        description="When the department signed, replied, or the appeal moved on."
    )
    _model: strawberry.Private[models.AppealSupervision]

    @classmethod
    def of(cls, model: models.AppealSupervision) -> Self:
        return cls(
            id=strawberry.ID(relay.to_base64("AppealSupervision", model.id)),
            kind=model.kind,
            round=model.round,
            due_date=model.due_date,
            raised_at=model.raised_at,
            resolved_at=model.resolved_at,
            _model=model,
        )

    @strawberry.field
    async def department(self, info: Info) -> Department:
        row = await info.context.loaders.department.load(self._model.department_id)
        assert row is not None
        return Department.of(row)

    @strawberry.field
    async def appeal(self, info: Info) -> Appeal | None:
        row = await info.context.loaders.appeal.load(self._model.appeal_id)
        return Appeal.of(row) if row else None


AppealSupervisionConnection = Connection[AppealSupervision]


# -- insights


@strawberry.type
class InsightRegionCount:
    code: str
    name: str
    count: int


@strawberry.type(
    description="A keyword many appeals share, with the districts where it is most heard."
)
class HotTopic:
    keyword: str
    count: int = strawberry.field(description="Appeals whose keywords include it.")
    regions: list[InsightRegionCount] = strawberry.field(
        directives=bounded(insights.TOP_REGIONS_PER_TOPIC),
        description=(
            f"Top districts (at most {insights.TOP_REGIONS_PER_TOPIC}); those with fewer appeals "
            "than the minimum group are left out."
        ),
    )


@strawberry.type
class TrendPoint:
    week_start: date = strawberry.field(description="Monday of the week (China time).")
    count: int | None = strawberry.field(description="Null when suppressed.")
    suppressed: bool = strawberry.field(description="Fewer appeals than the minimum group size.")


@strawberry.type(description="Weekly appeal counts of one category group or one district.")
class TrendSeries:
    code: str
    name: str
    points: list[TrendPoint] = strawberry.field(
        directives=bounded(insights.MAX_WEEKS), description="One per week of the period."
    )


@strawberry.type(
    description="A week in which a category in a district stood out from the four before."
)
class Spike:
    category_code: str
    category_name: str
    region_code: str | None
    region_name: str | None
    week_start: date
    count: int
    baseline: float = strawberry.field(description="Mean weekly count of the four previous weeks.")
    ratio: float


@strawberry.type
class Timeliness:
    replies: int
    on_time_rate: float | None = strawberry.field(
        description="Share of replies given by their deadline."
    )
    average_working_days: float | None = strawberry.field(
        description="Mean working days from receipt to reply."
    )


@strawberry.type
class SatisfactionCount:
    level: Satisfaction
    count: int


@strawberry.type
class SatisfactionSummary:
    rated: int
    levels: list[SatisfactionCount] = strawberry.field(
        directives=bounded(len(Satisfaction)), description="Every level once."
    )
    satisfied_rate: float | None = strawberry.field(description="(满意 + 基本满意) / rated.")


@strawberry.type(
    description=(
        "Aggregates for decisions, never residents' identities or words: keywords and cells "
        "with fewer appeals than `minGroupSize` are suppressed."
    )
)
class AppealInsights:
    computed_at: datetime = strawberry.field(
        description=(
            "When these figures were computed. A cached answer is reused only until the next "
            "filing or status change, and for at most RONGBAN_APPEAL_INSIGHT_CACHE_SECONDS."
        )
    )
    start: date
    end: date
    total: int
    open: int = strawberry.field(description="Still with the centre or a department.")
    replied: int = strawberry.field(description="Replied or closed.")
    merged: int
    min_group_size: int
    hot_topics: list[HotTopic] = strawberry.field(
        directives=bounded(insights.TOP_TOPICS),
        description=(
            f"jieba TF-IDF keywords, most frequent first (at most {insights.TOP_TOPICS})."
        ),
    )
    category_trends: list[TrendSeries] = strawberry.field(
        directives=bounded(MAX_CATEGORY_GROUPS), description="Weekly, by category group."
    )
    region_trends: list[TrendSeries] = strawberry.field(
        directives=bounded(insights.MAX_DISTRICT_SERIES),
        description=f"Weekly, by district (at most {insights.MAX_DISTRICT_SERIES}).",
    )
    spikes: list[Spike] = strawberry.field(
        directives=bounded(insights.TOP_SPIKES),
        description=(
            "Weeks that stood out, most striking (highest ratio) first; at most "
            f"{insights.TOP_SPIKES}."
        ),
    )
    timeliness: Timeliness
    satisfaction: SatisfactionSummary

    @classmethod
    def of(cls, data: dict) -> Self:  # type: ignore[type-arg]
        def series(rows: list[dict]) -> list[TrendSeries]:  # type: ignore[type-arg]
            return [
                TrendSeries(
                    code=row["code"],
                    name=row["name"],
                    points=[
                        TrendPoint(
                            week_start=date.fromisoformat(p["weekStart"]),
                            count=p["count"],
                            suppressed=p["suppressed"],
                        )
                        for p in row["points"]
                    ],
                )
                for row in rows
            ]

        return cls(
            computed_at=datetime.fromisoformat(data["computedAt"]),
            start=date.fromisoformat(data["start"]),
            end=date.fromisoformat(data["end"]),
            total=data["total"],
            open=data["open"],
            replied=data["replied"],
            merged=data["merged"],
            min_group_size=data["minGroupSize"],
            hot_topics=[
                HotTopic(
                    keyword=t["keyword"],
                    count=t["count"],
                    regions=[InsightRegionCount(**r) for r in t["regions"]],
                )
                for t in data["hotTopics"]
            ],
            category_trends=series(data["categoryTrends"]),
            region_trends=series(data["regionTrends"]),
            spikes=[
                Spike(
                    category_code=s["categoryCode"],
                    category_name=s["categoryName"],
                    region_code=s["regionCode"],
                    region_name=s["regionName"],
                    week_start=date.fromisoformat(s["weekStart"]),
                    count=s["count"],
                    baseline=s["baseline"],
                    ratio=s["ratio"],
                )
                for s in data["spikes"]
            ],
            timeliness=Timeliness(
                replies=data["timeliness"]["replies"],
                on_time_rate=data["timeliness"]["onTimeRate"],
                average_working_days=data["timeliness"]["averageWorkingDays"],
            ),
            satisfaction=SatisfactionSummary(
                rated=data["satisfaction"]["rated"],
                levels=[
                    SatisfactionCount(level=Satisfaction(level["level"]), count=level["count"])
                    for level in data["satisfaction"]["levels"]
                ],
                satisfied_rate=data["satisfaction"]["satisfiedRate"],
            ),
        )


# -- inputs


@strawberry.input
class AppealFilter:
    status: AppealStatus | None = None


@strawberry.input(description="Dates in China time, both included; at most 400 days.")
class AppealInsightFilter:
    start: date
    end: date
    region_code: str | None = strawberry.field(
        default=None, description="The city or one county / functional zone (no finer)."
    )
    category_code: str | None = strawberry.field(
        default=None, description="A category group (all its leaves) or one leaf."
    )


@strawberry.input
class FileAppealInput:
    kind: AppealKind
    category_code: str = strawberry.field(description="A leaf of appealCategories.")
    content: str = strawberry.field(
        description="What happened and what you ask; at most 4,000 characters."
    )
    location: GeoPointInput | None = strawberry.field(
        default=None, description="Where it is (wx.getLocation, GCJ-02); used to find duplicates."
    )
    region_code: str = strawberry.field(
        description="County, street or community code of the place."
    )
    address: str | None = strawberry.field(default=None, description="At most 200 characters.")
    document_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Wallet documents of kind PHOTO (AVAILABLE, yours); at most 9.",
    )
    channel: Channel = strawberry.field(
        description=(
            "WEB_HALL, MOBILE_APP, MINI_PROGRAM or TV_HALL. MINI_PROGRAM text goes through "
            "WeChat's content check (risky refused, review held for a moderator)."
        )
    )
    no_reply_wanted: bool = strawberry.field(
        default=False,
        description=(
            "建议 (SUGGESTION) and 表扬 (PRAISE) only: no reply is wanted, so no bound phone is "
            "needed. Every other filing needs a phone bound to the account (PHONE_REQUIRED); "
            "true with another kind is INVALID_INPUT on this field."
        ),
    )


@strawberry.input
class DispatchAppealInput:
    appeal_id: strawberry.ID
    department_code: str = strawberry.field(description="The department's credit code.")
    note: str | None = strawberry.field(default=None, description="At most 500 characters.")
    reassign: bool = strawberry.field(
        default=False,
        description=(
            "改派 of an appeal a department has (dispatched or signed) without a 退单; "
            "without it only queued and returned appeals are dispatched."
        ),
    )


@strawberry.input
class SignAppealInput:
    appeal_id: strawberry.ID


@strawberry.input
class ReturnAppealInput:
    appeal_id: strawberry.ID
    reason: str = strawberry.field(description="Why it is not this department's (required).")


@strawberry.input
class RequestAppealExtensionInput:
    appeal_id: strawberry.ID
    days: int = strawberry.field(description="Working days; all extensions of a round at most 10.")
    reason: str


@strawberry.input
class DecideAppealExtensionInput:
    appeal_id: strawberry.ID
    approve: bool
    note: str | None = strawberry.field(default=None, description="Required when denying.")


@strawberry.input
class ReplyAppealInput:
    appeal_id: strawberry.ID
    content: str = strawberry.field(
        description="The answer to the resident; at most 4,000 characters."
    )


@strawberry.input
class MergeAppealsInput:
    target_id: strawberry.ID = strawberry.field(
        description="The appeal that stays and is answered."
    )
    appeal_ids: list[strawberry.ID] = strawberry.field(
        description="The duplicates to merge into it (same category); at most 20."
    )


@strawberry.input
class RateAppealInput:
    appeal_id: strawberry.ID
    level: Satisfaction
    comment: str | None = strawberry.field(default=None, description="At most 200 characters.")


@strawberry.input
class ReopenAppealInput:
    appeal_id: strawberry.ID
    reason: str = strawberry.field(description="What is still wrong (required).")


@strawberry.input
class ModerateAppealInput:
    appeal_id: strawberry.ID
    decision: ModerationDecision
    reason: str | None = strawberry.field(default=None, description="Required to reject.")


@strawberry.input
class PublishAppealPhotoInput:
    appeal_id: strawberry.ID
    document_id: strawberry.ID = strawberry.field(
        description="The photo: a document id from the appeal's `photos`."
    )
    public: bool = strawberry.field(
        description="True: shown to the public (Open311); false: no longer shown."
    )


@strawberry.input
class RecordAppealRevisitInput:
    appeal_id: strawberry.ID
    method: RevisitMethod = strawberry.field(description="CALL or UNREACHABLE.")
    satisfaction: Satisfaction | None = strawberry.field(
        default=None, description="Required for CALL."
    )
    note: str | None = None


@strawberry.input
class UpsertAppealCategoryInput:
    code: str = strawberry.field(
        description="2 to 16 digits or capital letters; a leaf's code begins with its group's."
    )
    parent_code: str | None = strawberry.field(
        default=None, description="The group of a leaf; null for a group. A category stays put."
    )
    name: str = strawberry.field(description="At most 32 characters.")
    description: str = strawberry.field(default="", description="At most 200 characters.")
    keywords: list[str] | None = strawberry.field(
        default=None,
        description=(
            f"Synonyms for search and Open311, at most {MAX_CATEGORY_KEYWORDS} of 16 characters "
            "each; null leaves them as they are."
        ),
    )
    active: bool = strawberry.field(
        default=True, description="False takes it out of the catalogue (as retiring does)."
    )


@strawberry.input
class RetireAppealCategoryInput:
    code: str


@strawberry.input
class SetAppealRouteInput:
    category_code: str = strawberry.field(description="A leaf, or a group (all its leaves).")
    region_code: str = strawberry.field(description="The row applies in the region and below.")
    department_code: str = strawberry.field(description="The department's credit code.")


@strawberry.input
class RemoveAppealRouteInput:
    category_code: str
    region_code: str


# -- errors and results


@strawberry.type
class FileAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class DispatchAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class SignAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class ReturnAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class RequestAppealExtensionError(UserError):
    code: AppealErrorCode


@strawberry.type
class DecideAppealExtensionError(UserError):
    code: AppealErrorCode


@strawberry.type
class ReplyAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class MergeAppealsError(UserError):
    code: AppealErrorCode


@strawberry.type
class RateAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class ReopenAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class ModerateAppealError(UserError):
    code: AppealErrorCode


@strawberry.type
class RecordAppealRevisitError(UserError):
    code: AppealErrorCode


@strawberry.type
class PublishAppealPhotoError(UserError):
    code: AppealErrorCode


@strawberry.type
class UpsertAppealCategoryError(UserError):
    code: AppealErrorCode


@strawberry.type
class RetireAppealCategoryError(UserError):
    code: AppealErrorCode


@strawberry.type
class SetAppealRouteError(UserError):
    code: AppealErrorCode


@strawberry.type
class RemoveAppealRouteError(UserError):
    code: AppealErrorCode


FileAppealResult = Annotated[Appeal | FileAppealError, strawberry.union("FileAppealResult")]
DispatchAppealResult = Annotated[
    Appeal | DispatchAppealError, strawberry.union("DispatchAppealResult")
]
SignAppealResult = Annotated[Appeal | SignAppealError, strawberry.union("SignAppealResult")]
ReturnAppealResult = Annotated[Appeal | ReturnAppealError, strawberry.union("ReturnAppealResult")]
RequestAppealExtensionResult = Annotated[
    Appeal | RequestAppealExtensionError, strawberry.union("RequestAppealExtensionResult")
]
DecideAppealExtensionResult = Annotated[
    Appeal | DecideAppealExtensionError, strawberry.union("DecideAppealExtensionResult")
]
ReplyAppealResult = Annotated[Appeal | ReplyAppealError, strawberry.union("ReplyAppealResult")]
MergeAppealsResult = Annotated[Appeal | MergeAppealsError, strawberry.union("MergeAppealsResult")]
RateAppealResult = Annotated[Appeal | RateAppealError, strawberry.union("RateAppealResult")]
ReopenAppealResult = Annotated[Appeal | ReopenAppealError, strawberry.union("ReopenAppealResult")]
ModerateAppealResult = Annotated[
    Appeal | ModerateAppealError, strawberry.union("ModerateAppealResult")
]
RecordAppealRevisitResult = Annotated[
    Appeal | RecordAppealRevisitError, strawberry.union("RecordAppealRevisitResult")
]
PublishAppealPhotoResult = Annotated[
    Appeal | PublishAppealPhotoError, strawberry.union("PublishAppealPhotoResult")
]
UpsertAppealCategoryResult = Annotated[
    AppealCategory | UpsertAppealCategoryError, strawberry.union("UpsertAppealCategoryResult")
]
RetireAppealCategoryResult = Annotated[
    AppealCategory | RetireAppealCategoryError, strawberry.union("RetireAppealCategoryResult")
]
SetAppealRouteResult = Annotated[
    AppealRouteChange | SetAppealRouteError, strawberry.union("SetAppealRouteResult")
]
RemoveAppealRouteResult = Annotated[
    AppealRouteChange | RemoveAppealRouteError, strawberry.union("RemoveAppealRouteResult")
]
