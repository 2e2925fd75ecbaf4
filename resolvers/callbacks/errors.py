"""Why a department system's callback was refused: a stable code, its HTTP status, a zh-CN
message (the system's operators read it), and what is logged (never the body)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class CallbackCode(StrEnum):
    # 401: who is calling cannot be trusted
    BAD_ENVELOPE = "BAD_ENVELOPE"
    STALE_TIMESTAMP = "STALE_TIMESTAMP"
    UNKNOWN_SYSTEM = "UNKNOWN_SYSTEM"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    REPLAYED_NONCE = "REPLAYED_NONCE"
    # 400 / 413: what was sent is not a callback
    BAD_CALLBACK = "BAD_CALLBACK"
    TOO_LARGE = "TOO_LARGE"
    NOT_JSON = "NOT_JSON"
    # 403: the department handles the application, but this step is not its to take
    NOT_ALLOWED = "NOT_ALLOWED"
    # 404: no such application, or not one this department handles
    UNKNOWN_APPLICATION = "UNKNOWN_APPLICATION"
    # 409: the workflow says no, or the message id was used for other content
    INVALID_STATE = "INVALID_STATE"
    TASK_ALREADY_DONE = "TASK_ALREADY_DONE"
    MESSAGE_ID_REUSED = "MESSAGE_ID_REUSED"
    # 422: the result file was refused (type, size, malware)
    RESULT_REFUSED = "RESULT_REFUSED"
    # 429: the system sends more than its share; Retry-After says when to go on
    RATE_LIMITED = "RATE_LIMITED"
    # 503: try again later
    UNAVAILABLE = "UNAVAILABLE"


STATUS: Mapping[CallbackCode, int] = {
    CallbackCode.BAD_ENVELOPE: 401,
    CallbackCode.STALE_TIMESTAMP: 401,
    CallbackCode.UNKNOWN_SYSTEM: 401,
    CallbackCode.BAD_SIGNATURE: 401,
    CallbackCode.REPLAYED_NONCE: 401,
    CallbackCode.BAD_CALLBACK: 400,
    CallbackCode.TOO_LARGE: 413,
    CallbackCode.NOT_JSON: 400,
    CallbackCode.NOT_ALLOWED: 403,
    CallbackCode.UNKNOWN_APPLICATION: 404,
    CallbackCode.INVALID_STATE: 409,
    CallbackCode.TASK_ALREADY_DONE: 409,
    CallbackCode.MESSAGE_ID_REUSED: 409,
    CallbackCode.RESULT_REFUSED: 422,
    CallbackCode.RATE_LIMITED: 429,
    CallbackCode.UNAVAILABLE: 503,
}


class CallbackRefused(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        CallbackCode.BAD_ENVELOPE: "签名信息缺失或格式错误。",
        CallbackCode.STALE_TIMESTAMP: "请求时间戳超出允许范围（300 秒）。",
        CallbackCode.UNKNOWN_SYSTEM: "未登记或已停用的业务系统。",
        CallbackCode.BAD_SIGNATURE: "签名校验失败。",
        CallbackCode.REPLAYED_NONCE: "随机数已使用过，请重新签名后发送。",
        CallbackCode.BAD_CALLBACK: "回传内容不符合接口要求。",
        CallbackCode.TOO_LARGE: "回传内容过大。",
        CallbackCode.NOT_JSON: "回传内容须为 JSON。",
        CallbackCode.NOT_ALLOWED: "该环节不由本部门办理。",
        CallbackCode.UNKNOWN_APPLICATION: "办件不存在，或不由本部门办理。",
        CallbackCode.INVALID_STATE: "办件当前状态不允许此操作。",
        CallbackCode.TASK_ALREADY_DONE: "本部门的办理任务已办结。",
        CallbackCode.MESSAGE_ID_REUSED: "该消息编号已用于不同的内容。",
        CallbackCode.RESULT_REFUSED: "办理结果文件未通过校验。",
        CallbackCode.RATE_LIMITED: "回传过于频繁，请按 Retry-After 稍后重试。",
        CallbackCode.UNAVAILABLE: "服务暂时不可用，请稍后重试。",
    }

    def __init__(
        self,
        code: CallbackCode,
        field: str | None = None,
        *,
        detail: str = "",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(code, field)
        self.detail = detail  # a code word for the log and the answer, never a value
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return STATUS[CallbackCode(self.code.value)]
