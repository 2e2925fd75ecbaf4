"""Error codes and zh-CN messages of delegations and community helpers' registers."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import MAX_ERROR_FIELDS, DomainError


class DelegationErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    INVALID_PHONE = "INVALID_PHONE"
    AGENT_NOT_FOUND = "AGENT_NOT_FOUND"
    SELF_DELEGATION = "SELF_DELEGATION"
    AGENT_REQUIRED = "AGENT_REQUIRED"
    UNKNOWN_SERVICE = "UNKNOWN_SERVICE"
    TOO_MANY_SERVICES = "TOO_MANY_SERVICES"
    INVALID_VALID_UNTIL = "INVALID_VALID_UNTIL"
    TOO_MANY_DELEGATIONS = "TOO_MANY_DELEGATIONS"
    NOT_ON_REGISTER = "NOT_ON_REGISTER"
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    DELEGATION_NOT_IN_FORCE = "DELEGATION_NOT_IN_FORCE"
    SERVICE_NOT_DELEGATED = "SERVICE_NOT_DELEGATED"
    NOT_A_COMMUNITY = "NOT_A_COMMUNITY"
    NOT_STAFF = "NOT_STAFF"
    ALREADY_REGISTERED = "ALREADY_REGISTERED"
    REGISTER_FULL = "REGISTER_FULL"


class DelegationError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        DelegationErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        DelegationErrorCode.UNAUTHENTICATED: "请先登录。",
        DelegationErrorCode.FORBIDDEN: "无权进行此操作。",
        DelegationErrorCode.NOT_FOUND: "委托不存在。",
        DelegationErrorCode.INVALID_STATE: "委托当前状态不允许此操作。",
        DelegationErrorCode.INVALID_PHONE: "请输入有效的中国大陆手机号码。",
        DelegationErrorCode.AGENT_NOT_FOUND: "未找到该代办人，请确认对方已绑定该手机号。",
        DelegationErrorCode.SELF_DELEGATION: "不能委托给自己。",
        DelegationErrorCode.AGENT_REQUIRED: "请填写代办人手机号或选择社区代办员（二选一）。",
        DelegationErrorCode.UNKNOWN_SERVICE: "事项编码不存在。",
        DelegationErrorCode.TOO_MANY_SERVICES: "委托的事项过多。",
        DelegationErrorCode.INVALID_VALID_UNTIL: "委托截止日期须在今天到一年之内。",
        DelegationErrorCode.TOO_MANY_DELEGATIONS: "有效委托数量已达上限，请先撤销不需要的委托。",
        DelegationErrorCode.NOT_ON_REGISTER: "您不在该社区代办员的服务名册中，请先联系社区登记。",
        DelegationErrorCode.IDENTITY_NOT_VERIFIED: "委托人和代办人须先完成实名认证。",
        DelegationErrorCode.DELEGATION_NOT_IN_FORCE: "委托未生效、已过期或已撤销。",
        DelegationErrorCode.SERVICE_NOT_DELEGATED: "该事项不在委托范围内。",
        DelegationErrorCode.NOT_A_COMMUNITY: "社区编码不存在。",
        DelegationErrorCode.NOT_STAFF: "该账号不是工作人员账号。",
        DelegationErrorCode.ALREADY_REGISTERED: "已经登记过。",
        DelegationErrorCode.REGISTER_FULL: "服务名册人数已达上限。",
    }


class AgentSubmissionErrorCode(StrEnum):
    """An agent's submission fails as an online submission does, or on the delegation."""

    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
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
    DELEGATION_NOT_IN_FORCE = "DELEGATION_NOT_IN_FORCE"
    SERVICE_NOT_DELEGATED = "SERVICE_NOT_DELEGATED"


class AgentSubmissionError(DomainError):
    """Carries the message and every field at fault of the error it stands for."""

    def __init__(
        self, code: AgentSubmissionErrorCode, field: str | None, message: str, fields: list[str]
    ) -> None:
        super().__init__(code, field)
        self._message = message
        self.fields = fields[:MAX_ERROR_FIELDS]

    @property
    def message(self) -> str:
        return self._message

    @classmethod
    def of(cls, error: DomainError) -> AgentSubmissionError:
        fields = list(getattr(error, "fields", None) or ([error.field] if error.field else []))
        try:
            code = AgentSubmissionErrorCode(error.code.value)
        except ValueError:
            code = AgentSubmissionErrorCode.INVALID_INPUT
        return cls(code, error.field, error.message, fields)
