"""Appeal mutations: input in, service call, typed result or typed error out."""

from __future__ import annotations

from uuid import UUID

from resolvers.appeals import closing, filing, handling
from resolvers.appeals.errors import AppealError, AppealErrorCode
from resolvers.appeals.transitions import MAX_MERGE, global_uuid
from schema.appeals import (
    Appeal,
    DecideAppealExtensionError,
    DecideAppealExtensionInput,
    DecideAppealExtensionResult,
    DispatchAppealError,
    DispatchAppealInput,
    DispatchAppealResult,
    FileAppealError,
    FileAppealInput,
    FileAppealResult,
    MergeAppealsError,
    MergeAppealsInput,
    MergeAppealsResult,
    ModerateAppealError,
    ModerateAppealInput,
    ModerateAppealResult,
    ModerationDecision,
    RateAppealError,
    RateAppealInput,
    RateAppealResult,
    RecordAppealRevisitError,
    RecordAppealRevisitInput,
    RecordAppealRevisitResult,
    ReopenAppealError,
    ReopenAppealInput,
    ReopenAppealResult,
    ReplyAppealError,
    ReplyAppealInput,
    ReplyAppealResult,
    RequestAppealExtensionError,
    RequestAppealExtensionInput,
    RequestAppealExtensionResult,
    ReturnAppealError,
    ReturnAppealInput,
    ReturnAppealResult,
    SignAppealError,
    SignAppealInput,
    SignAppealResult,
)
from schema.context import Info


def _appeal(global_id: str, field: str = "appealId") -> UUID:
    return global_uuid(global_id, "Appeal", field)


async def file_appeal(info: Info, input: FileAppealInput) -> FileAppealResult:
    try:
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
        )
    except AppealError as error:
        return FileAppealError.of(error)
    return Appeal.of(appeal)


async def dispatch_appeal(info: Info, input: DispatchAppealInput) -> DispatchAppealResult:
    try:
        appeal = await handling.dispatch_appeal(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.department_code,
            input.note,
            reassign=input.reassign,
        )
    except AppealError as error:
        return DispatchAppealError.of(error)
    return Appeal.of(appeal)


async def sign_appeal(info: Info, input: SignAppealInput) -> SignAppealResult:
    try:
        appeal = await handling.sign(
            info.context.resources, info.context.principal, _appeal(input.appeal_id)
        )
    except AppealError as error:
        return SignAppealError.of(error)
    return Appeal.of(appeal)


async def return_appeal(info: Info, input: ReturnAppealInput) -> ReturnAppealResult:
    try:
        appeal = await handling.return_appeal(
            info.context.resources, info.context.principal, _appeal(input.appeal_id), input.reason
        )
    except AppealError as error:
        return ReturnAppealError.of(error)
    return Appeal.of(appeal)


async def request_appeal_extension(
    info: Info, input: RequestAppealExtensionInput
) -> RequestAppealExtensionResult:
    try:
        appeal = await handling.request_extension(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.days,
            input.reason,
        )
    except AppealError as error:
        return RequestAppealExtensionError.of(error)
    return Appeal.of(appeal)


async def decide_appeal_extension(
    info: Info, input: DecideAppealExtensionInput
) -> DecideAppealExtensionResult:
    try:
        appeal = await handling.decide_extension(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.approve,
            input.note,
        )
    except AppealError as error:
        return DecideAppealExtensionError.of(error)
    return Appeal.of(appeal)


async def reply_appeal(info: Info, input: ReplyAppealInput) -> ReplyAppealResult:
    try:
        appeal = await handling.reply(
            info.context.resources, info.context.principal, _appeal(input.appeal_id), input.content
        )
    except AppealError as error:
        return ReplyAppealError.of(error)
    return Appeal.of(appeal)


async def merge_appeals(info: Info, input: MergeAppealsInput) -> MergeAppealsResult:
    try:
        if len(input.appeal_ids) > MAX_MERGE:
            raise AppealError(AppealErrorCode.TOO_MANY_APPEALS, "appealIds")
        appeal = await handling.merge(
            info.context.resources,
            info.context.principal,
            _appeal(input.target_id, "targetId"),
            [_appeal(a, f"appealIds[{n}]") for n, a in enumerate(input.appeal_ids)],
        )
    except AppealError as error:
        return MergeAppealsError.of(error)
    return Appeal.of(appeal)


async def rate_appeal(info: Info, input: RateAppealInput) -> RateAppealResult:
    try:
        appeal = await closing.rate(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.level,
            input.comment,
        )
    except AppealError as error:
        return RateAppealError.of(error)
    return Appeal.of(appeal)


async def reopen_appeal(info: Info, input: ReopenAppealInput) -> ReopenAppealResult:
    try:
        appeal = await closing.reopen(
            info.context.resources, info.context.principal, _appeal(input.appeal_id), input.reason
        )
    except AppealError as error:
        return ReopenAppealError.of(error)
    return Appeal.of(appeal)


async def moderate_appeal(info: Info, input: ModerateAppealInput) -> ModerateAppealResult:
    try:
        appeal = await handling.moderate(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.decision is ModerationDecision.RELEASE,
            input.reason,
        )
    except AppealError as error:
        return ModerateAppealError.of(error)
    return Appeal.of(appeal)


async def record_appeal_revisit(
    info: Info, input: RecordAppealRevisitInput
) -> RecordAppealRevisitResult:
    try:
        appeal = await closing.record_revisit(
            info.context.resources,
            info.context.principal,
            _appeal(input.appeal_id),
            input.method,
            input.satisfaction,
            input.note,
        )
    except AppealError as error:
        return RecordAppealRevisitError.of(error)
    return Appeal.of(appeal)
