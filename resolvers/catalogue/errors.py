"""Error codes and zh-CN messages of the catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class CatalogueErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_BASE_ITEM = "UNKNOWN_BASE_ITEM"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    UNKNOWN_DEPARTMENT = "UNKNOWN_DEPARTMENT"
    INVALID_CREDIT_CODE = "INVALID_CREDIT_CODE"
    GUIDE_CHECK_FAILED = "GUIDE_CHECK_FAILED"
    DIVERGENCE_NEEDS_JUSTIFICATION = "DIVERGENCE_NEEDS_JUSTIFICATION"
    NOTHING_TO_PUBLISH = "NOTHING_TO_PUBLISH"
    CONFLICT = "CONFLICT"
    TERMINAL_CODE_TAKEN = "TERMINAL_CODE_TAKEN"
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"


# An error reports at most this many broken rules: enough to fix a guide in one go, and an
# answer of bounded size whatever the input (a list of 10,000 bad FAQs breaks 20,000 rules).
MAX_VIOLATIONS = 100


class CatalogueError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        CatalogueErrorCode.UNAUTHENTICATED: "请先登录。",
        CatalogueErrorCode.FORBIDDEN: "只有管理员或本部门工作人员可以进行此操作。",
        CatalogueErrorCode.INVALID_INPUT: "输入内容不符合要求，请检查标出的字段。",
        CatalogueErrorCode.NOT_FOUND: "找不到该事项。",
        CatalogueErrorCode.UNKNOWN_BASE_ITEM: "找不到对应的基本目录事项。",
        CatalogueErrorCode.UNKNOWN_REGION: "找不到该行政区划代码。",
        CatalogueErrorCode.UNKNOWN_DEPARTMENT: "找不到该部门（统一社会信用代码）。",
        CatalogueErrorCode.INVALID_CREDIT_CODE: "统一社会信用代码不正确。",
        CatalogueErrorCode.GUIDE_CHECK_FAILED: "办事指南未通过发布检查，请按提示修改。",
        CatalogueErrorCode.DIVERGENCE_NEEDS_JUSTIFICATION: (
            "实施清单与基本目录的名称、编码、设定依据或办理流程不一致，须填写差异说明后才能发布。"
        ),
        CatalogueErrorCode.NOTHING_TO_PUBLISH: "没有待发布的草稿。",
        CatalogueErrorCode.CONFLICT: "该事项正被他人修改，请刷新后重试。",
        CatalogueErrorCode.TERMINAL_CODE_TAKEN: "该终端编号已被使用。",
        CatalogueErrorCode.STORAGE_UNAVAILABLE: "文件存储暂时不可用，请稍后重试。",
    }

    def __init__(
        self,
        code: CatalogueErrorCode,
        field: str | None = None,
        *,
        violations: list[Violation] | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(code, field)
        self.violations = (violations or [])[:MAX_VIOLATIONS]
        self.detail = detail

    @property
    def message(self) -> str:
        base = super().message
        return f"{base}（{self.detail}）" if self.detail else base


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule of a guide or an import row: which rule, which field, what to do."""

    rule: str
    field: str
    message: str
