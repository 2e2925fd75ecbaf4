"""Error codes of acceptance at a window and at terminals: the submission's own codes, the
card read's, and those of the resident's consent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.accounts.errors import AccountError
from resolvers.applications.errors import ApplicationError
from resolvers.devices.errors import CARD_MESSAGES, DeviceError
from resolvers.errors import MAX_ERROR_FIELDS, DomainError


class WindowErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    # the card read (see resolvers/devices)
    UNKNOWN_DEVICE = "UNKNOWN_DEVICE"
    DEVICE_RETIRED = "DEVICE_RETIRED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    STALE_READ = "STALE_READ"
    REPLAYED_READ = "REPLAYED_READ"
    INVALID_CARD = "INVALID_CARD"
    CARD_EXPIRED = "CARD_EXPIRED"
    NOT_A_WINDOW_READER = "NOT_A_WINDOW_READER"
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"
    # the submission (as an online one)
    IDENTITY_NOT_VERIFIED = "IDENTITY_NOT_VERIFIED"
    SERVICE_NOT_FOUND = "SERVICE_NOT_FOUND"
    NOT_HANDLED_HERE = "NOT_HANDLED_HERE"
    CHANNEL_NOT_ALLOWED = "CHANNEL_NOT_ALLOWED"
    INVALID_FORM = "INVALID_FORM"
    FORM_TOO_LARGE = "FORM_TOO_LARGE"
    MATERIAL_MISSING = "MATERIAL_MISSING"
    DOCUMENT_NOT_FOUND = "DOCUMENT_NOT_FOUND"
    DOCUMENT_NOT_AVAILABLE = "DOCUMENT_NOT_AVAILABLE"
    DOCUMENT_NOT_REQUESTED = "DOCUMENT_NOT_REQUESTED"
    DUPLICATE_DOCUMENT = "DUPLICATE_DOCUMENT"
    TOO_MANY_DOCUMENTS = "TOO_MANY_DOCUMENTS"
    # the resident's consent
    NO_PHONE_ON_FILE = "NO_PHONE_ON_FILE"
    SMS_UNAVAILABLE = "SMS_UNAVAILABLE"
    WRONG_CODE = "WRONG_CODE"
    CONSENT_EXPIRED = "CONSENT_EXPIRED"
    ALREADY_CONFIRMED = "ALREADY_CONFIRMED"
    INVALID_STATE = "INVALID_STATE"
    # paper materials on their way (全域通办)
    ALREADY_RECEIVED = "ALREADY_RECEIVED"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"


class WindowError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        WindowErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        WindowErrorCode.UNAUTHENTICATED: "请先登录。",
        WindowErrorCode.FORBIDDEN: "您没有进行此操作的权限。",
        WindowErrorCode.NOT_FOUND: "记录不存在或您无权查看。",
        **{WindowErrorCode(code): message for code, message in CARD_MESSAGES.items()},
        WindowErrorCode.NOT_A_WINDOW_READER: "该设备不是窗口的读卡器。",
        WindowErrorCode.ACCOUNT_DISABLED: "该居民账号已停用。",
        WindowErrorCode.NOT_HANDLED_HERE: "本中心不受理该事项。",
        WindowErrorCode.NO_PHONE_ON_FILE: "该居民没有登记手机号，请改用设备签名确认。",
        WindowErrorCode.SMS_UNAVAILABLE: "短信暂时无法发送，请改用设备签名确认或稍后再试。",
        WindowErrorCode.WRONG_CODE: "确认码不正确。",
        WindowErrorCode.CONSENT_EXPIRED: "确认已超时，请重新受理。",
        WindowErrorCode.ALREADY_CONFIRMED: "该申请已确认提交。",
        WindowErrorCode.INVALID_STATE: "当前状态不允许此操作。",
        WindowErrorCode.ALREADY_RECEIVED: "纸质材料已签收。",
    }

    def __init__(self, code: Enum, field: str | None = None, *, fields: Sequence[str] = ()) -> None:
        super().__init__(code, field)
        self.fields = (list(fields) or ([field] if field else []))[:MAX_ERROR_FIELDS]

    @property
    def message(self) -> str:
        own = self.messages.get(self.code)
        if own is not None:
            return own
        # The submission's own codes keep the submission's messages (one place per rule).
        submission = {code.value: text for code, text in ApplicationError.messages.items()}
        return submission.get(str(self.code.value), "请求未能完成，请稍后再试。")


def translated(error: ApplicationError | DeviceError | AccountError) -> WindowError:
    """Another domain's error, under this mutation's codes (a code it lacks: INVALID_INPUT)."""
    try:
        code = WindowErrorCode(error.code.value)
    except ValueError:
        code = WindowErrorCode.INVALID_INPUT
    fields = getattr(error, "fields", ())
    return WindowError(code, error.field, fields=fields)
