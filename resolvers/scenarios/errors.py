"""Error codes and zh-CN messages of themes, scenario bundles and their submission."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.catalogue.errors import MAX_VIOLATIONS, Violation
from resolvers.errors import MAX_ERROR_FIELDS, DomainError


class ScenarioErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_THEME = "UNKNOWN_THEME"
    UNKNOWN_BASE_ITEM = "UNKNOWN_BASE_ITEM"
    # Definitions
    INVALID_DEFINITION = "INVALID_DEFINITION"
    NOTHING_TO_PUBLISH = "NOTHING_TO_PUBLISH"
    CONFLICT = "CONFLICT"
    # Answers and plans
    UNKNOWN_REGION = "UNKNOWN_REGION"
    TOO_MANY_ANSWERS = "TOO_MANY_ANSWERS"
    UNKNOWN_QUESTION = "UNKNOWN_QUESTION"
    DUPLICATE_ANSWER = "DUPLICATE_ANSWER"
    INVALID_ANSWER = "INVALID_ANSWER"
    QUESTION_NOT_ASKED = "QUESTION_NOT_ASKED"
    ANSWER_REQUIRED = "ANSWER_REQUIRED"
    # Submitting
    NOTHING_TO_SUBMIT = "NOTHING_TO_SUBMIT"
    ITEM_UNAVAILABLE = "ITEM_UNAVAILABLE"
    PLAN_CHANGED = "PLAN_CHANGED"
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
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


C = ScenarioErrorCode


class ScenarioError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        C.INVALID_INPUT: "输入内容不符合要求。",
        C.UNAUTHENTICATED: "请先登录。",
        C.FORBIDDEN: "只有管理员或牵头部门的工作人员可以进行此操作。",
        C.NOT_FOUND: "找不到该一件事主题。",
        C.UNKNOWN_THEME: "找不到该主题。",
        C.UNKNOWN_BASE_ITEM: "找不到对应的基本目录事项。",
        C.INVALID_DEFINITION: "一件事的定义不符合要求，请按提示逐项修改。",
        C.NOTHING_TO_PUBLISH: "没有待发布的草稿。",
        C.CONFLICT: "该一件事正被他人修改，请刷新后重试。",
        C.UNKNOWN_REGION: "找不到该行政区划代码。",
        C.TOO_MANY_ANSWERS: "回答的问题过多。",
        C.UNKNOWN_QUESTION: "没有这个问题。",
        C.DUPLICATE_ANSWER: "同一个问题回答了两次。",
        C.INVALID_ANSWER: "回答的格式不符合该问题的要求。",
        C.QUESTION_NOT_ASKED: "根据前面的回答，不需要回答这个问题。",
        C.ANSWER_REQUIRED: "还有问题没有回答。",
        C.NOTHING_TO_SUBMIT: "按照您的回答，没有需要办理的事项。",
        C.ITEM_UNAVAILABLE: "所选地区暂未开通其中的部分事项，请选择其他地区或分别办理。",
        C.PLAN_CHANGED: "办理清单已有变化，请重新确认后再提交。",
        C.IDENTITY_NOT_VERIFIED: "请先完成实名认证再提交申请。",
        C.CHANNEL_NOT_ALLOWED: "其中有事项不能通过该渠道提交。",
        C.INVALID_FORM: "申请表填写有误，请按提示修改。",
        C.FORM_TOO_LARGE: "申请表内容过多。",
        C.MATERIAL_MISSING: "缺少必需的申请材料。",
        C.DOCUMENT_NOT_FOUND: "材料不存在或不属于您。",
        C.DOCUMENT_NOT_AVAILABLE: "材料尚未通过校验，暂不能使用。",
        C.DOCUMENT_NOT_REQUESTED: "这些事项都不需要这类材料。",
        C.DUPLICATE_DOCUMENT: "同一份材料提交了两次。",
        C.TOO_MANY_DOCUMENTS: "一次提交的材料过多。",
        C.IDEMPOTENCY_CONFLICT: "该请求编号已用于另一份不同的申请。",
    }

    def __init__(
        self,
        code: Enum,
        field: str | None = None,
        *,
        fields: Sequence[str] = (),
        violations: Sequence[Violation] = (),
        detail: str | None = None,
    ) -> None:
        super().__init__(code, field)
        # Every field at fault (a form can fail in several places); `field` is the first.
        self.fields = (list(fields) or ([field] if field else []))[:MAX_ERROR_FIELDS]
        self.violations = list(violations)[:MAX_VIOLATIONS]
        self.detail = detail

    @property
    def message(self) -> str:
        base = super().message
        return f"{base}（{self.detail}）" if self.detail else base
