"""Error codes and zh-CN messages of online applications."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import MAX_ERROR_FIELDS, DomainError


class ApplicationErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    # Submitting
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    SERVICE_NOT_FOUND = "SERVICE_NOT_FOUND"
    CHANNEL_NOT_ALLOWED = "CHANNEL_NOT_ALLOWED"
    INVALID_FORM = "INVALID_FORM"
    FORM_TOO_LARGE = "FORM_TOO_LARGE"
    MATERIAL_MISSING = "MATERIAL_MISSING"
    DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
    DOCUMENT_NOT_AVAILABLE = "DOCUMENT_NOT_AVAILABLE"
    DOCUMENT_NOT_REQUESTED = "DOCUMENT_NOT_REQUESTED"
    DUPLICATE_DOCUMENT = "DUPLICATE_DOCUMENT"
    TOO_MANY_DOCUMENTS = "TOO_MANY_DOCUMENTS"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    # Acting on it
    INVALID_STATE = "INVALID_STATE"
    TASK_ALREADY_DONE = "TASK_ALREADY_DONE"
    CONFLICT = "CONFLICT"
    REASON_REQUIRED = "REASON_REQUIRED"
    NOTHING_OWED = "NOTHING_OWED"
    RESULT_UNAVAILABLE = "RESULT_UNAVAILABLE"
    BUNDLE_PARENT = "BUNDLE_PARENT"
    PAYMENT_DUE = "PAYMENT_DUE"  # a fee charged at an earlier step is not paid yet
    # 好差评
    NOT_FINISHED = "NOT_FINISHED"
    ALREADY_RATED = "ALREADY_RATED"
    ALREADY_REVISITED = "ALREADY_REVISITED"


class ApplicationError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        ApplicationErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        ApplicationErrorCode.UNAUTHENTICATED: "请先登录。",
        ApplicationErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        ApplicationErrorCode.NOT_FOUND: "申请不存在或您无权查看。",
        ApplicationErrorCode.IDENTITY_NOT_VERIFIED: "请先完成实名认证再提交申请。",
        ApplicationErrorCode.SERVICE_NOT_FOUND: "找不到该事项，或该事项暂未开通网上申请。",
        ApplicationErrorCode.CHANNEL_NOT_ALLOWED: "该渠道不能提交此申请。",
        ApplicationErrorCode.INVALID_FORM: "申请表填写有误，请按提示修改。",
        ApplicationErrorCode.FORM_TOO_LARGE: "申请表内容过多。",
        ApplicationErrorCode.MATERIAL_MISSING: "缺少必需的申请材料。",
        ApplicationErrorCode.DOCUMENT_NOT_FOUND: "材料不存在或不属于您。",
        ApplicationErrorCode.DOCUMENT_NOT_AVAILABLE: "材料尚未通过校验，暂不能使用。",
        ApplicationErrorCode.DOCUMENT_NOT_REQUESTED: "该事项不需要这类材料。",
        ApplicationErrorCode.DUPLICATE_DOCUMENT: "同一份材料提交了两次。",
        ApplicationErrorCode.TOO_MANY_DOCUMENTS: "一次提交的材料过多。",
        ApplicationErrorCode.IDEMPOTENCY_CONFLICT: "该请求编号已用于另一份不同的申请。",
        ApplicationErrorCode.INVALID_STATE: "申请当前的状态不允许此操作。",
        ApplicationErrorCode.TASK_ALREADY_DONE: "该办理任务已由其他工作人员处理。",
        ApplicationErrorCode.CONFLICT: "申请刚被其他人更新，请刷新后再试。",
        ApplicationErrorCode.REASON_REQUIRED: "请填写理由。",
        ApplicationErrorCode.NOTHING_OWED: "该申请没有需要补正的材料。",
        ApplicationErrorCode.RESULT_UNAVAILABLE: "办理结果暂时无法生成，请稍后再试。",
        ApplicationErrorCode.BUNDLE_PARENT: "这是“一件事”的汇总申请，请对其中的各个事项分别操作。",
        ApplicationErrorCode.PAYMENT_DUE: "该申请尚有未缴纳的费用，缴费后才能继续办理。",
        ApplicationErrorCode.NOT_FINISHED: "申请办结后才能评价。",
        ApplicationErrorCode.ALREADY_RATED: "该申请已评价过。",
        ApplicationErrorCode.ALREADY_REVISITED: "该整改已完成回访。",
    }

    def __init__(self, code: Enum, field: str | None = None, *, fields: Sequence[str] = ()) -> None:
        super().__init__(code, field)
        # Every field at fault (a form can fail in several places); `field` is the first.
        self.fields = (list(fields) or ([field] if field else []))[:MAX_ERROR_FIELDS]
