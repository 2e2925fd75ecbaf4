"""Appeal mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

import strawberry

from resolvers.appeals import catalogue, closing, filing, handling, publication
from resolvers.appeals.errors import AppealError, AppealErrorCode
from resolvers.appeals.transitions import MAX_MERGE
from resolvers.policy import Action
from schema.appeals.types import (
    Appeal,
    AppealCategory,
    AppealRouteChange,
    DecideAppealExtensionInput,
    DecideAppealExtensionResult,
    DispatchAppealInput,
    DispatchAppealResult,
    FileAppealInput,
    FileAppealResult,
    MergeAppealsInput,
    MergeAppealsResult,
    ModerateAppealInput,
    ModerateAppealResult,
    ModerationDecision,
    PublishAppealPhotoInput,
    PublishAppealPhotoResult,
    RateAppealInput,
    RateAppealResult,
    RecordAppealRevisitInput,
    RecordAppealRevisitResult,
    RemoveAppealRouteInput,
    RemoveAppealRouteResult,
    ReopenAppealInput,
    ReopenAppealResult,
    ReplyAppealInput,
    ReplyAppealResult,
    RequestAppealExtensionInput,
    RequestAppealExtensionResult,
    RetireAppealCategoryInput,
    RetireAppealCategoryResult,
    ReturnAppealInput,
    ReturnAppealResult,
    SetAppealRouteInput,
    SetAppealRouteResult,
    SignAppealInput,
    SignAppealResult,
    UpsertAppealCategoryInput,
    UpsertAppealCategoryResult,
)
from schema.authorised import authorised
from schema.context import Info
from schema.ids import uuid_of


def _appeal(global_id: str, field: str = "appealId") -> UUID:
    return uuid_of(global_id, "Appeal", field, AppealError, AppealErrorCode.NOT_FOUND)


@strawberry.type
class AppealMutation:
    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_FILE),
        description=(
            "A resident files an appeal (at most 10 an hour), with a bound phone unless no reply "
            "is wanted (建议, 表扬). Dispatched at once through the "
            "dispatch table, else queued for the 12345 centre; mini-program text is checked by "
            "WeChat first (risky refused, review or an outage held, never passed unchecked)."
        ),
    )
    async def file_appeal(self, info: Info, input: FileAppealInput) -> FileAppealResult:
        appeal = await filing.file_appeal(
            info.context.resources,
            info.context.principal,
            kind=input.kind,
            category_code=input.category_code,
            content=input.content,
            latitude=input.location.lat if input.location else None,
            longitude=input.location.lng if input.location else None,
            region_code=input.region_code,
            address=input.address,
            document_ids=[str(i) for i in input.document_ids],
            channel=input.channel,
            no_reply_wanted=input.no_reply_wanted,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_DISPATCH),
        description=(
            "12345 centre: dispatches a queued or returned appeal (派单 / 改派), or moves one a "
            "department has not finished; the department's deadlines start again."
        ),
    )
    async def dispatch_appeal(self, info: Info, input: DispatchAppealInput) -> DispatchAppealResult:
        appeal = await handling.dispatch_appeal(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.department_code,
            input.note,
            reassign=input.reassign,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_SIGN),
        description="The department signs for a dispatched appeal (签收).",
    )
    async def sign_appeal(self, info: Info, input: SignAppealInput) -> SignAppealResult:
        appeal = await handling.sign(
            info.context.resources, info.context.principal, _appeal(input.appeal_id)
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_RETURN),
        description=(
            "The department returns an appeal that is not its matter (退单), with a reason, "
            "within 2 working days of receipt."
        ),
    )
    async def return_appeal(self, info: Info, input: ReturnAppealInput) -> ReturnAppealResult:
        appeal = await handling.return_appeal(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.reason,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_REQUEST_EXTENSION),
        description="The department asks for more working days to reply (at most 10 a round).",
    )
    async def request_appeal_extension(
        self, info: Info, input: RequestAppealExtensionInput
    ) -> RequestAppealExtensionResult:
        appeal = await handling.request_extension(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.days,
            input.reason,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_DECIDE_EXTENSION),
        description="12345 centre: approves (the reply deadline moves) or denies an extension.",
    )
    async def decide_appeal_extension(
        self, info: Info, input: DecideAppealExtensionInput
    ) -> DecideAppealExtensionResult:
        appeal = await handling.decide_extension(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.approve,
            input.note,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_REPLY),
        description=(
            "The department replies; the resident (and each resident whose appeal was merged "
            "into it) is notified."
        ),
    )
    async def reply_appeal(self, info: Info, input: ReplyAppealInput) -> ReplyAppealResult:
        appeal = await handling.reply(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.content,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_MERGE),
        description=(
            "并单: duplicates (same category) are merged into the target; one reply answers all. "
            "12345 centre, or a department for appeals that are all its own."
        ),
    )
    async def merge_appeals(self, info: Info, input: MergeAppealsInput) -> MergeAppealsResult:
        if len(input.appeal_ids) > MAX_MERGE:
            raise AppealError(AppealErrorCode.TOO_MANY_APPEALS, "appealIds")
        appeal = await handling.merge(
            info.context.resources,
            info.context.principal,
            _appeal(input.target_id, "targetId"),
            [_appeal(a, f"appealIds[{n}]") for n, a in enumerate(input.appeal_ids)],
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_RATE),
        description=(
            "The resident rates a reply within 7 days: SATISFIED or BASICALLY_SATISFIED closes "
            "the appeal, DISSATISFIED sends it back to the department."
        ),
    )
    async def rate_appeal(self, info: Info, input: RateAppealInput) -> RateAppealResult:
        appeal = await closing.rate(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.level,
            input.comment,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_REOPEN),
        description="The resident sends a replied appeal back to the department within 7 days.",
    )
    async def reopen_appeal(self, info: Info, input: ReopenAppealInput) -> ReopenAppealResult:
        appeal = await closing.reopen(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.reason,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_MODERATE),
        description="12345 centre: releases held content (then dispatched) or rejects it.",
    )
    async def moderate_appeal(self, info: Info, input: ModerateAppealInput) -> ModerateAppealResult:
        appeal = await handling.moderate(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.decision is ModerationDecision.RELEASE,
            input.reason,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_RECORD_REVISIT),
        description="12345 centre: records the 回访 call of a closed appeal.",
    )
    async def record_appeal_revisit(
        self, info: Info, input: RecordAppealRevisitInput
    ) -> RecordAppealRevisitResult:
        appeal = await closing.record_revisit(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.method,
            input.satisfaction,
            input.note,
        )
        return Appeal.of(appeal)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_PHOTO_PUBLISH),
        description=(
            "The department the appeal is with, or the 12345 centre: shows an attached photo to "
            "the public (Open311 `media_url`) or stops showing it. Only a photo that passed "
            "WeChat's image check (PHOTO_NOT_CHECKED otherwise), never one of a 举报 "
            "(PHOTO_CONFIDENTIAL). Audited."
        ),
    )
    async def publish_appeal_photo(
        self, info: Info, input: PublishAppealPhotoInput
    ) -> PublishAppealPhotoResult:
        appeal = await publication.publish_photo(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            uuid_of(
                input.document_id,
                "Document",
                "documentId",
                AppealError,
                AppealErrorCode.PHOTO_NOT_FOUND,
            ),
            input.public,
            request_id=info.context.request_id,
        )
        return Appeal.of(appeal)

    # -- the dispatch catalogue and table (12345 centre, ADMIN): versioned, audited

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_CATEGORY_UPSERT),
        description=(
            "12345 centre: adds a group or a leaf of the dispatch catalogue, or changes one's "
            "name, description, keywords or whether it is active. Each change is a new "
            "catalogue version with an audit row; an edit that changes nothing makes none."
        ),
    )
    async def upsert_appeal_category(
        self, info: Info, input: UpsertAppealCategoryInput
    ) -> UpsertAppealCategoryResult:
        row = await catalogue.upsert_category(
            info.context.resources,
            info.context.principal,
            catalogue.CategoryEdit(
                code=input.code,
                parent_code=input.parent_code,
                name=input.name,
                description=input.description,
                keywords=input.keywords,
                active=input.active,
            ),
            request_id=info.context.request_id,
        )
        return AppealCategory.of(row, include_retired=True)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_CATEGORY_RETIRE),
        description=(
            "12345 centre: retires a category (never deleted: appeals reference it); a retired "
            "group takes its leaves out of the catalogue. New filings may not choose it."
        ),
    )
    async def retire_appeal_category(
        self, info: Info, input: RetireAppealCategoryInput
    ) -> RetireAppealCategoryResult:
        row = await catalogue.retire_category(
            info.context.resources,
            info.context.principal,
            input.code,
            request_id=info.context.request_id,
        )
        return AppealCategory.of(row, include_retired=True)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_ROUTE_SET),
        description=(
            "12345 centre: the dispatch table sends a category in a region (and below) to a "
            "department from the next filing on."
        ),
    )
    async def set_appeal_route(
        self, info: Info, input: SetAppealRouteInput
    ) -> SetAppealRouteResult:
        change = await catalogue.set_route(
            info.context.resources,
            info.context.principal,
            input.category_code,
            input.region_code,
            input.department_code,
            request_id=info.context.request_id,
        )
        return AppealRouteChange(version=change.version, _change=change)

    @strawberry.mutation(
        extensions=authorised(Action.APPEAL_ROUTE_REMOVE),
        description=(
            "12345 centre: removes a row of the dispatch table; such appeals follow the row "
            "above (a wider region, the group) or wait in the centre's queue."
        ),
    )
    async def remove_appeal_route(
        self, info: Info, input: RemoveAppealRouteInput
    ) -> RemoveAppealRouteResult:
        change = await catalogue.remove_route(
            info.context.resources,
            info.context.principal,
            input.category_code,
            input.region_code,
            request_id=info.context.request_id,
        )
        return AppealRouteChange(version=change.version, _change=change)
