"""Error codes and zh-CN messages of result delivery, and the courier webhook's refusals."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum, StrEnum
from typing import ClassVar

from resolvers.errors import DomainError


class DeliveryErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"  # no result yet
    ALREADY_CHOSEN = "ALREADY_CHOSEN"
    RECIPIENT_REQUIRED = "RECIPIENT_REQUIRED"
    INVALID_PHONE = "INVALID_PHONE"
    COURIER_UNAVAILABLE = "COURIER_UNAVAILABLE"


class DeliveryError(DomainError):
    messages: ClassVar[Mapping[Enum, str]] = {
        DeliveryErrorCode.INVALID_INPUT: "输入内容不符合要求。",
        DeliveryErrorCode.UNAUTHENTICATED: "请先登录。",
        DeliveryErrorCode.FORBIDDEN: "无权进行此操作。",
        DeliveryErrorCode.NOT_FOUND: "申请不存在或您无权查看。",
        DeliveryErrorCode.INVALID_STATE: "办理结果出具后才能选择领取方式。",
        DeliveryErrorCode.ALREADY_CHOSEN: "已选择过领取方式。",
        DeliveryErrorCode.RECIPIENT_REQUIRED: "邮寄须填写收件人姓名、手机号和地址。",
        DeliveryErrorCode.INVALID_PHONE: "请输入有效的中国大陆手机号码。",
        DeliveryErrorCode.COURIER_UNAVAILABLE: "邮政寄递服务暂时不可用，请稍后再试。",
    }


class WebhookCode(StrEnum):
    STALE_TIMESTAMP = "STALE_TIMESTAMP"  # 401
    BAD_SIGNATURE = "BAD_SIGNATURE"  # 401
    BAD_EVENT = "BAD_EVENT"  # 400
    UNKNOWN_WAYBILL = "UNKNOWN_WAYBILL"  # 404
    REPLAYED = "REPLAYED"  # 409: this event id was received already


WEBHOOK_STATUS: Mapping[WebhookCode, int] = {
    WebhookCode.STALE_TIMESTAMP: 401,
    WebhookCode.BAD_SIGNATURE: 401,
    WebhookCode.BAD_EVENT: 400,
    WebhookCode.UNKNOWN_WAYBILL: 404,
    WebhookCode.REPLAYED: 409,
}


class WebhookRefused(DomainError):
    """The courier's webhook was not taken: the code and its HTTP status are the answer."""

    @property
    def status(self) -> int:
        return WEBHOOK_STATUS[WebhookCode(self.code.value)]
